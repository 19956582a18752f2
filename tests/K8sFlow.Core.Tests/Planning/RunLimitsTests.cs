using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

public class RunLimitsTests
{
    [Fact]
    public void Plan_StartTaskCarriesExecutionTimeout_FromTaskOrDefaults()
    {
        var spec = Dag(Task("a"), Task("b") with { ExecutionTimeout = "90s" }) with
        {
            Defaults = new TaskDefaults { ExecutionTimeout = "30m" },
        };
        var h = new PlanHarness(spec);

        h.Step();

        h.Starts.Select(s => s.Timeout).Should().Equal(TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public void Plan_JobDeadlineExceeded_TimeoutFailureIsRetried()
    {
        var h = new PlanHarness(Dag(Task("a") with { ExecutionTimeout = "30m", Retries = 1, RetryDelay = "1m" }));
        h.Step();
        h.Running("a");
        h.Now = T0.AddMinutes(30);
        h.Fail("a", exitCode: 0, reason: TaskExecution.DeadlineExceededReason, message: "Job was active longer than specified deadline");

        h.Step();

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.UpForRetry && t.NextTryTime == T0.AddMinutes(31)
            && t.Message == "execution timeout (30m) exceeded: Job was active longer than specified deadline");
    }

    [Fact]
    public void Plan_RunningPastTimeout_StoppedAndFailed()
    {
        var h = new PlanHarness(Dag(Task("a") with { ExecutionTimeout = "10m" }, Task("b", "a")));
        h.Step();
        h.Running("a");
        h.Now = T0.AddMinutes(4);
        h.Step().RequeueAfter.Should().Be(TimeSpan.FromMinutes(6), "the planner wakes up when the attempt times out");

        h.Now = T0.AddMinutes(10);
        h.Step();

        h.Stops.Should().ContainSingle().Which.Should().Be(new StopExecution("a", "etl-manual-1-a-1", "execution timeout (10m) exceeded"));
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Failed && t.Message == "execution timeout (10m) exceeded");
        h.State("b").Should().Be(TaskState.UpstreamFailed);
        h.Phase.Should().Be(RunPhase.Failed);
    }

    [Fact]
    public void Plan_DagrunTimeout_RunFailsUnfinishedSkippedJobsStopped()
    {
        var spec = Dag(Task("a"), Task("b"), Task("c", "b")) with { DagrunTimeout = "1h" };
        var h = new PlanHarness(spec);
        h.Step().RequeueAfter.Should().Be(TimeSpan.FromHours(1));
        h.Complete("a");
        h.Running("b");

        h.Now = T0.AddHours(1);
        h.Step();

        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Should().Match<Condition>(c =>
            c.Reason == "DagrunTimeout" && c.Message == "dagrunTimeout (1h) exceeded; unfinished tasks skipped");
        h.Last.Status.Tasks!.Select(t => t.State).Should().Equal(TaskState.Success, TaskState.Skipped, TaskState.Skipped);
        h.Task("c").Reason.Should().Be("dagrunTimeout (1h) exceeded");
        h.Stops.Should().ContainSingle().Which.ExecutionName.Should().Be("etl-manual-1-b-1");
    }

    [Fact]
    public void Plan_DagrunTimeoutPassesAfterTheLastTaskEnded_LeavesDecide()
    {
        var h = new PlanHarness(Dag(Task("a")) with { DagrunTimeout = "1h" });
        h.Step();
        h.Now = T0.AddMinutes(59);
        h.Succeed("a");
        h.Now = T0.AddHours(2); // the controller only got to the run after the deadline

        h.Step();

        h.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public void Plan_FailFast_RunningFailedPendingSkipped()
    {
        var spec = Dag(Task("a"), Task("b"), Task("c"), Task("d", "c"), Task("e")) with { FailFast = true, MaxActiveTasksPerRun = 3 };
        var h = new PlanHarness(spec);
        h.Step();
        h.Running("b");
        h.Running("c");

        h.Fail("a");
        h.Step();

        h.Last.Status.Tasks!.Select(t => (t.Name, t.State)).Should().Equal(
            ("a", TaskState.Failed), ("b", TaskState.Failed), ("c", TaskState.Failed), ("d", TaskState.Skipped), ("e", TaskState.Skipped));
        h.Task("b").Reason.Should().Be("failFast: task a failed");
        h.Stops.Select(s => s.ExecutionName).Should().Equal("etl-manual-1-b-1", "etl-manual-1-c-1");
        h.Starts.Should().BeEmpty();
        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Reason.Should().Be("FailFast");
    }

    [Fact]
    public void Plan_FailFast_FailureWithRetriesLeftDoesNotStopTheRun()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1 }, Task("b")) with { FailFast = true });
        h.Step();
        h.Running("b");

        h.Fail("a");
        h.Step();

        h.State("a").Should().Be(TaskState.UpForRetry);
        h.State("b").Should().Be(TaskState.Running);
        h.Stops.Should().BeEmpty();
    }

    [Fact]
    public void Plan_Cancel_RunningFailedPendingSkippedRunCancelled()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b"), Task("c", "a")));
        h.Step();
        h.Running("a");
        h.Complete("b");

        h.CancelRequested = true;
        h.Step();

        h.Last.Status.Tasks!.Select(t => (t.State, t.Reason)).Should().Equal(
            (TaskState.Failed, "cancelled"), (TaskState.Success, null), (TaskState.Skipped, "cancelled"));
        h.Stops.Should().ContainSingle().Which.Should().Be(new StopExecution("a", "etl-manual-1-a-1", "cancelled"));
        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Should().Match<Condition>(c => c.Status == "False" && c.Reason == "Cancelled");
    }

    [Fact]
    public void Plan_CancelQueuedRun_AllSkippedNothingStarted()
    {
        var h = new PlanHarness(Dag(Task("a"))) { MayStart = false, CancelRequested = true };

        h.Step();

        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Reason.Should().Be("Cancelled");
        h.State("a").Should().Be(TaskState.Skipped);
        h.Last.Actions.Should().BeEmpty();
    }

    [Fact]
    public void Plan_MaxActiveTasksPerRun_ExtraTasksWaitScheduledWithReason()
    {
        var spec = Dag(Task("a"), Task("b"), Task("c"), Task("d")) with { MaxActiveTasksPerRun = 2 };
        var h = new PlanHarness(spec);

        h.Step();

        h.Starts.Select(s => s.TaskName).Should().Equal("a", "b");
        h.Task("c").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Scheduled && t.Reason == "maxActiveTasksPerRun (2) reached");
        h.State("d").Should().Be(TaskState.Scheduled);

        h.Complete("b");

        h.Starts.Select(s => s.TaskName).Should().Equal("c");
        h.State("d").Should().Be(TaskState.Scheduled);
    }

    [Fact]
    public void Plan_MaxActiveTasksPerRun_DefaultIs16()
    {
        var h = new PlanHarness(Dag([.. Enumerable.Range(0, 20).Select(i => Task($"t{i}"))]));

        h.Step();

        h.Starts.Should().HaveCount(16);
        h.Task("t19").Reason.Should().Be("maxActiveTasksPerRun (16) reached");
    }

    [Fact]
    public void Plan_ReadyRetryCompetesForSlots_LongestWaitingFirst()
    {
        var spec = Dag(Task("a") with { Retries = 1, RetryDelay = "1m" }, Task("b"), Task("c", "b"), Task("d")) with { MaxActiveTasksPerRun = 1 };
        var h = new PlanHarness(spec);
        h.Step();                       // a starts; b, d wait for the slot
        h.Fail("a");
        h.Step();                       // a up for retry at +1m; b takes the slot
        h.Starts.Select(s => s.TaskName).Should().Equal("b");
        h.Now = T0.AddMinutes(2);

        h.Complete("b");                // slot free: d (ready since T0) before a's retry (ready at +1m) and c (ready now)

        h.Starts.Select(s => s.TaskName).Should().Equal("d");
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Scheduled && t.TryNumber == 1);
        h.State("c").Should().Be(TaskState.Scheduled);
        h.Complete("d");
        h.Starts.Should().ContainSingle().Which.Should().Match<StartTask>(s => s.TaskName == "a" && s.TryNumber == 2);
    }

    [Fact]
    public void Plan_TenThousandTaskFanOut_ReasonsStayShort()
    {
        var fan = Enumerable.Range(0, 9998).Select(i => $"w{i}").ToArray();
        var h = new PlanHarness(Dag([Task("root"), .. fan.Select(w => Task(w, "root")), Task("join", fan)]));
        h.Step();

        h.Complete("root");

        h.Starts.Should().HaveCount(16);
        h.Task("w9997").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Scheduled && t.Reason == "maxActiveTasksPerRun (16) reached");
        h.Task("join").Reason.Should().Be("waiting for upstream: w0, w1, w2, w3, w4 and 9993 more");
        h.Last.Status.Progress.Should().Be("1/10000");
    }
}
