using FsCheck;
using FsCheck.Fluent;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

public class RetryTests
{
    private static TaskPolicy Backoff(TimeSpan delay, TimeSpan? max = null) =>
        TaskPolicy.Default with { Retries = 100, RetryDelay = delay, RetryExponentialBackoff = true, MaxRetryDelay = max };

    [Theory]
    // Values fixed by SHA-256("etl#load#2026-01-01T00:00:00+00:00#<try>") (checked independently in Python).
    [InlineData(1, 47)]  // base 30, in [30, 60)
    [InlineData(2, 98)]  // base 60
    [InlineData(3, 180)] // base 120
    [InlineData(4, 295)] // base 240
    [InlineData(5, 651)] // base 480
    public void RetryWait_ExponentialBackoff_ExactForFixedDagTaskDateTry(int failedTry, int expectedSeconds)
    {
        Backoff(TimeSpan.FromSeconds(30)).RetryWait(failedTry, "etl", "load", T0)
            .Should().Be(TimeSpan.FromSeconds(expectedSeconds));
    }

    [Fact]
    public void RetryWait_NoLogicalDate_HashesAnEmptyDate()
    {
        Backoff(TimeSpan.FromSeconds(30)).RetryWait(1, "etl", "load", null).Should().Be(TimeSpan.FromSeconds(39));
    }

    [Fact]
    public void RetryWait_ExponentialBackoff_StaysInBaseToTwiceBase()
    {
        var policy = Backoff(TimeSpan.FromSeconds(7));
        for (var failedTry = 1; failedTry <= 10; failedTry++)
        {
            var baseSeconds = 7 * Math.Pow(2, failedTry - 1);
            foreach (var task in new[] { "a", "b", "extract", "train_model", "x.y-z" })
            {
                var wait = policy.RetryWait(failedTry, "dag", task, T0.AddDays(failedTry)).TotalSeconds;
                wait.Should().BeGreaterThanOrEqualTo(baseSeconds).And.BeLessThan(2 * baseSeconds, $"try {failedTry}, task {task}");
            }
        }
    }

    [Fact]
    public void RetryWait_AnyTaskDelayAndTry_WithinBaseAndTwiceBaseUnderTheCaps()
    {
        var cases =
            from task in Gen.Elements("a", "load", "train_model", "x.y-z", "report")
            from delaySeconds in Gen.Choose(0, 3600)
            from failedTry in Gen.Choose(1, 40)
            from maxSeconds in Gen.Choose(1, 200_000)
            from days in Gen.Choose(0, 3650)
            select (task, delaySeconds, failedTry, maxSeconds, days);

        Prop.ForAll(Arb.From(cases), c =>
            {
                var policy = Backoff(TimeSpan.FromSeconds(c.delaySeconds), TimeSpan.FromSeconds(c.maxSeconds));
                var wait = policy.RetryWait(c.failedTry, "dag", c.task, T0.AddDays(c.days)).TotalSeconds;
                var baseSeconds = Math.Max(1, c.delaySeconds * Math.Pow(2, c.failedTry - 1));
                var cap = Math.Min(c.maxSeconds, 86_400);
                return wait <= cap && (wait == cap || (wait >= baseSeconds && wait < 2 * baseSeconds));
            })
            .Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void RetryWait_ZeroDelay_BaseIsAtLeastOneSecond()
    {
        Backoff(TimeSpan.Zero).RetryWait(1, "etl", "load", T0).Should().Be(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void RetryWait_CappedByMaxRetryDelay()
    {
        Backoff(TimeSpan.FromSeconds(30), max: TimeSpan.FromSeconds(100)).RetryWait(5, "etl", "load", T0)
            .Should().Be(TimeSpan.FromSeconds(100));
    }

    [Theory]
    [InlineData(10)]   // base 512 h
    [InlineData(2000)] // 2^1999 overflows every integer type
    public void RetryWait_CappedAtOneDay(int failedTry)
    {
        Backoff(TimeSpan.FromHours(1)).RetryWait(failedTry, "etl", "load", T0).Should().Be(TimeSpan.FromHours(24));
    }

    [Fact]
    public void RetryWait_WithoutBackoff_IsTheDelay_EvenAboveMaxRetryDelay()
    {
        // Like Airflow, maxRetryDelay only bounds exponential backoff.
        var policy = TaskPolicy.Default with { RetryDelay = TimeSpan.FromMinutes(10), MaxRetryDelay = TimeSpan.FromMinutes(1) };

        policy.RetryWait(3, "etl", "load", T0).Should().Be(TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void Plan_FailedWithRetriesLeft_UpForRetryAtEndPlusDefaultDelay()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1 }));
        h.Step();
        h.Now = T0.AddMinutes(1);
        h.Fail("a", exitCode: 2, message: "boom");

        h.Step();

        var a = h.Task("a");
        a.State.Should().Be(TaskState.UpForRetry);
        a.TryNumber.Should().Be(1);
        a.NextTryTime.Should().Be(T0.AddMinutes(1).AddSeconds(300));
        a.ExitCode.Should().Be(2);
        a.Message.Should().Be("exit code 2: boom");
        a.Reason.Should().Be("retry 2 at 2026-01-01T00:06:00+00:00");
        h.Last.RequeueAfter.Should().Be(TimeSpan.FromSeconds(300));
        h.Starts.Should().BeEmpty();
    }

    [Fact]
    public void Plan_RetryDelayPassed_StartsNextTryWithNewJob()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1, RetryDelay = "30s" }));
        h.Step();
        h.Fail("a");
        h.Step();
        h.Now = T0.AddSeconds(29);
        h.Step().Actions.Should().BeEmpty("the retry delay has not passed");

        h.Now = T0.AddSeconds(30);
        h.Step();

        h.Starts.Should().ContainSingle().Which.Should().Be(new StartTask("a", 2, Names.TaskJobName(PlanHarness.RunName, "a", 2), null));
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Queued && t.TryNumber == 2 && t.Message == null);
    }

    [Fact]
    public void Plan_RetriesUsedUp_Failed()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 2, RetryDelay = "10s" }));
        h.Step();
        var states = new List<TaskState>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            h.Fail("a");
            h.Step();
            states.Add(h.State("a"));
            h.Now += TimeSpan.FromSeconds(10);
            h.Step();
        }

        states.Should().Equal(TaskState.UpForRetry, TaskState.UpForRetry, TaskState.Failed);
        h.Task("a").TryNumber.Should().Be(3);
        h.Phase.Should().Be(RunPhase.Failed);
        h.Jobs.Select(j => j.TryNumber).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void Plan_RetriesFromDagDefaults_TaskOverrides()
    {
        var spec = Dag(Task("a"), Task("b") with { Retries = 0 }) with
        {
            Defaults = new TaskDefaults { Retries = 1, RetryDelay = "1m" },
        };
        var h = new PlanHarness(spec);
        h.Step();
        h.Fail("a");
        h.Fail("b");

        h.Step();

        h.State("a").Should().Be(TaskState.UpForRetry);
        h.Task("a").NextTryTime.Should().Be(T0.AddMinutes(1));
        h.State("b").Should().Be(TaskState.Failed);
    }

    [Fact]
    public void Plan_ExponentialBackoff_UsesDagTaskAndLogicalDate()
    {
        var h = new PlanHarness(new DagSpec
        {
            Tasks = [Task("load")],
            Defaults = new TaskDefaults { Retries = 3, RetryDelay = "30s", RetryExponentialBackoff = true },
        });
        h.Step();
        h.Fail("load");

        h.Step();

        h.Task("load").NextTryTime.Should().Be(T0.AddSeconds(47));
    }

    [Fact]
    public void Plan_ZeroRetryDelay_NextTryStartsInTheSamePlan()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1, RetryDelay = "0s" }));
        h.Step();
        h.Fail("a");

        h.Step();

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Queued && t.TryNumber == 2);
        h.Starts.Should().ContainSingle().Which.TryNumber.Should().Be(2);
    }
}
