using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

/// <summary>Airflow's clear (spec §12): selection, reset, fresh retry budget, unique Job names, applied once.</summary>
public sealed class ClearTests
{
    // a -> b -> c, a -> d
    private static readonly DagSpec Graph = Dag(Task("a"), Task("b", "a"), Task("c", "b"), Task("d", "a"));

    private static DagRunStatus StatusWith(params (string Task, TaskState State)[] states) => new()
    {
        Phase = RunPhase.Failed,
        Tasks = [.. states.Select(s => new TaskInstanceStatus { Name = s.Task, State = s.State, TryNumber = 1 })],
    };

    private static readonly DagRunStatus Mixed = StatusWith(
        ("a", TaskState.Success), ("b", TaskState.Failed), ("c", TaskState.UpstreamFailed), ("d", TaskState.Success));

    [Theory]
    [InlineData("b", false, false, false, "b")]
    [InlineData("b", true, false, false, "b,c")]
    [InlineData("b", false, true, false, "a,b")]
    [InlineData("a", true, false, false, "a,b,c,d")]
    [InlineData("a", true, false, true, "b,c")]
    [InlineData("d", false, true, true, "")]
    public void Select_ExpandsDownstreamUpstream_AndOnlyFailedKeepsFailedAndUpstreamFailed(string task, bool downstream, bool upstream,
        bool onlyFailed, string expected)
    {
        var selection = RunClearing.Select(Graph, Mixed, [task], downstream, upstream, onlyFailed);

        selection.Succeeded.Should().BeTrue();
        string.Join(",", selection.Tasks).Should().Be(expected);
    }

    [Fact]
    public void Select_UnknownTask_NamesItAndTheDagsTasks()
    {
        var selection = RunClearing.Select(Graph, Mixed, ["z"], false, false, false);

        selection.Errors.Should().Equal("task z is not in the run's Dag (its tasks: a, b, c, d)");
    }

    [Fact]
    public void Apply_ResetsOnlyTheClearedTasks_ToNone_AndAFinishedRunGoesBackToQueued()
    {
        var status = Mixed with { EndTime = T0 };

        var cleared = RunClearing.Apply(status, new ClearRequest { RequestId = "r1", Tasks = ["b", "c"] });

        cleared.Phase.Should().Be(RunPhase.Queued);
        cleared.EndTime.Should().BeNull();
        cleared.ClearedRequestId.Should().Be("r1");
        cleared.Tasks!.Select(t => (t.Name, t.State, t.TryNumber, t.ClearedTries)).Should().Equal(
            ("a", TaskState.Success, 1, 0), ("b", TaskState.None, 1, 1), ("c", TaskState.None, 1, 1), ("d", TaskState.Success, 1, 0));
    }

    [Fact]
    public void Apply_TheSameRequestTwice_ChangesNothingTheSecondTime()
    {
        var request = new ClearRequest { RequestId = "r1", Tasks = ["b"] };
        var once = RunClearing.Apply(Mixed, request);
        var afterRetry = once with { Phase = RunPhase.Failed, Tasks = [.. once.Tasks!.Select(t => t with { State = TaskState.Failed, TryNumber = 2 })] };

        RunClearing.Apply(afterRetry, request).Should().BeSameAs(afterRetry);
    }

    [Fact]
    public void Plan_AfterAClear_TheTaskRunsAgainWithANewTryAndJob_AndRetriesCountFromTheClear()
    {
        var spec = Dag(Task("a") with { Retries = 1, RetryDelay = "0s" });
        var h = new PlanHarness(spec);
        h.Step();
        h.Fail("a");
        h.Step(); // retryDelay 0s: try 2 starts at once
        h.Fail("a");
        h.Step();
        h.Phase.Should().Be(RunPhase.Failed, "retries 1: two tries, then the run fails");

        h.Status = RunClearing.Apply(h.Status!, new ClearRequest { RequestId = "r1", Tasks = ["a"] });
        h.Step();

        h.Starts.Should().ContainSingle().Which.Should().Match<StartTask>(s => s.TryNumber == 3 && s.ExecutionName == Names.TaskJobName(PlanHarness.RunName, "a", 3));
        h.Fail("a");
        h.Step();
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Queued && t.TryNumber == 4,
            "the clear gave a fresh budget: one retry again");
        h.Fail("a");
        h.Step();
        h.State("a").Should().Be(TaskState.Failed);
        h.Phase.Should().Be(RunPhase.Failed);
        h.Recreated.Should().BeEmpty("Job names stay unique across clears");
    }

    [Fact]
    public void Plan_ClearingARunningTask_StopsItsLiveJob()
    {
        var h = new PlanHarness(Dag(Task("a")));
        h.Step();
        h.Running("a");
        h.Step();
        h.Status = h.Status! with { Phase = RunPhase.Running };

        h.Status = RunClearing.Apply(h.Status, new ClearRequest { RequestId = "r1", Tasks = ["a"] });
        h.Step();

        h.Stops.Should().ContainSingle().Which.ExecutionName.Should().Be(Names.TaskJobName(PlanHarness.RunName, "a", 1));
    }
}
