using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

public class RunPhaseTests
{
    [Fact]
    public void Plan_NewRunThatMayNotStart_StaysQueuedWithReason()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a"))) { MayStart = false };

        var plan = RunPlanner.Plan(h.Input() with { QueuedReason = "maxActiveRuns (1) reached" });

        plan.Status.Phase.Should().Be(RunPhase.Queued);
        plan.Status.StartTime.Should().BeNull();
        plan.Status.Tasks!.Select(t => (t.Name, t.State)).Should().Equal(("a", TaskState.None), ("b", TaskState.None));
        plan.Status.Progress.Should().Be("0/2");
        plan.Status.Conditions.Should().ContainSingle().Which.Should().Match<Condition>(c =>
            c.Type == "Succeeded" && c.Status == "Unknown" && c.Reason == "Queued" && c.Message == "maxActiveRuns (1) reached");
        plan.Actions.Should().BeEmpty();
        plan.RequeueAfter.Should().BeNull();
    }

    [Fact]
    public void Plan_RunMayStart_RunningAndRootsStarted()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b"), Task("c", "a", "b")));

        h.Step();

        h.Phase.Should().Be(RunPhase.Running);
        h.Last.Status.StartTime.Should().Be(T0);
        h.Starts.Should().Equal(
            new StartTask("a", 1, "etl-manual-1-a-1", null),
            new StartTask("b", 1, "etl-manual-1-b-1", null));
        h.Task("a").Should().Match<TaskInstanceStatus>(t =>
            t.State == TaskState.Queued && t.TryNumber == 1 && t.Job == "etl-manual-1-a-1" && t.ReadyTime == T0);
        h.Task("c").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.None && t.Reason == "waiting for upstream: a, b");
        h.Condition.Should().Match<Condition>(c => c.Status == "Unknown" && c.Reason == "Running");
    }

    [Fact]
    public void Plan_TaskLifecycle_QueuedRunningSuccess()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a")));
        h.Step();
        h.Now = T0.AddSeconds(5);
        h.Running("a");
        h.Step();
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Running && t.StartTime == T0.AddSeconds(5));

        h.Now = T0.AddSeconds(9);
        h.Complete("a");

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Success && t.EndTime == T0.AddSeconds(9) && t.ExitCode == 0);
        h.State("b").Should().Be(TaskState.Queued);
        h.Last.Status.Progress.Should().Be("1/2");
    }

    [Fact]
    public void Plan_AllLeavesSucceed_RunSucceededWithEndTime()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a")));
        h.Step();
        h.Complete("a");
        h.Now = T0.AddMinutes(3);

        h.Complete("b");

        h.Phase.Should().Be(RunPhase.Succeeded);
        h.Last.Status.EndTime.Should().Be(T0.AddMinutes(3));
        h.Last.Status.Progress.Should().Be("2/2");
        h.Condition.Should().Match<Condition>(c => c.Status == "True" && c.Reason == "Succeeded" && c.LastTransitionTime == T0.AddMinutes(3));
        h.Last.RequeueAfter.Should().BeNull();
    }

    [Fact]
    public void Plan_MiddleFailureThenAllDoneLeaf_RunSucceeded()
    {
        // Spec §3: only leaves count.
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a"), Task("cleanup", "b").Rule("all_done")));
        h.Step();
        h.Complete("a");
        h.Fail("b");
        h.Step();
        h.State("cleanup").Should().Be(TaskState.Queued);

        h.Complete("cleanup");

        h.State("b").Should().Be(TaskState.Failed);
        h.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public void Plan_FailureSpreadsToLeaf_RunFailedNamingLeaves()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a"), Task("c", "b"), Task("d")));
        h.Step();
        h.Fail("a");
        h.Complete("d");

        h.State("b").Should().Be(TaskState.UpstreamFailed);
        h.Task("b").Reason.Should().Be("trigger rule all_success: upstream a (failed)");
        h.Task("c").Reason.Should().Be("trigger rule all_success: upstream b (upstream_failed)");
        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Should().Match<Condition>(c =>
            c.Status == "False" && c.Reason == "TasksFailed" && c.Message == "leaf tasks failed: c (upstream_failed)");
    }

    [Fact]
    public void Plan_SkipSpreadsDownAllSuccessChain_RunSucceeded()
    {
        var spec = Dag(Task("a"), Task("b", "a").Rule("all_failed"), Task("c", "b"), Task("d", "c"));
        var h = new PlanHarness(spec);
        h.Step();

        h.Complete("a");

        h.Last.Status.Tasks!.Select(t => t.State).Should().Equal(TaskState.Success, TaskState.Skipped, TaskState.Skipped, TaskState.Skipped);
        h.Task("d").Reason.Should().Be("trigger rule all_success: upstream c (skipped)");
        h.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public void Plan_UpstreamFailureSpreadsThroughNoneFailed_OneFailedStillRuns()
    {
        var spec = Dag(Task("a"), Task("b", "a").Rule("none_failed"), Task("c", "b").Rule("none_failed_min_one_success"),
            Task("alert", "c").Rule("one_failed"));
        var h = new PlanHarness(spec);
        h.Step();

        h.Fail("a");
        h.Step();

        h.State("b").Should().Be(TaskState.UpstreamFailed);
        h.State("c").Should().Be(TaskState.UpstreamFailed);
        h.State("alert").Should().Be(TaskState.Queued, "upstream_failed counts as a failure for one_failed");
    }

    [Fact]
    public void Plan_OneSuccessFiresEarly_WhileOtherUpstreamRuns()
    {
        var h = new PlanHarness(Dag(Task("fast"), Task("slow"), Task("first", "fast", "slow").Rule("one_success")));
        h.Step();
        h.Running("slow");

        h.Complete("fast");

        h.State("slow").Should().Be(TaskState.Running);
        h.State("first").Should().Be(TaskState.Queued);
    }

    [Fact]
    public void Plan_UpstreamRemoved_AllSuccessCanNeverRun_Deadlock()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a")))
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = T0,
                Tasks = [new TaskInstanceStatus { Name = "a", State = TaskState.Removed }],
            },
        };

        h.Step();

        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Should().Match<Condition>(c => c.Reason == "Deadlock" && c.Message == "tasks that can never be scheduled: b");
        h.Task("b").Should().Match<TaskInstanceStatus>(t =>
            t.State == TaskState.None && t.Reason == "trigger rule all_success can never be met: upstream a (removed)");
        h.Last.Status.EndTime.Should().Be(T0);
    }

    [Fact]
    public void Plan_FinishedRun_IsFrozen()
    {
        var h = new PlanHarness(Dag(Task("a")));
        h.Step();
        h.Complete("a");
        var finished = h.Last.Status;
        h.Now = T0.AddHours(1);

        h.Step();

        h.Last.Status.Should().BeSameAs(finished);
        h.Last.Actions.Should().BeEmpty();
        h.Last.RequeueAfter.Should().BeNull();
    }

    [Fact]
    public void Plan_SameInputTwice_SameAnswer()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a") with { ExecutionTimeout = "10m" }));
        h.Step();
        h.Complete("a");
        h.Running("b");
        var input = h.Input();

        var first = RunPlanner.Plan(input);
        var second = RunPlanner.Plan(input);

        second.Actions.Should().Equal(first.Actions);
        second.RequeueAfter.Should().Be(first.RequeueAfter);
        second.Status.Should().BeEquivalentTo(first.Status);
    }

    [Fact]
    public void Plan_OwnStatusFedBack_NothingMoreToDo()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a")));
        h.Step();
        h.Running("a");
        var first = h.Step();

        var second = h.Step();

        second.Actions.Should().BeEmpty();
        second.Status.Should().BeEquivalentTo(first.Status);
    }

    [Fact]
    public void Plan_ConditionTransitionTime_KeptWhileStatusUnchanged()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b", "a")));
        h.Step();
        h.Now = T0.AddMinutes(1);

        h.Complete("a");

        h.Condition.LastTransitionTime.Should().Be(T0, "the condition stayed Unknown");
    }

    [Fact]
    public void Plan_InvalidSpec_RunFailsNamingTaskAndField()
    {
        var spec = Dag(Task("a").Rule("all_sucess"), Task("b", "a") with { RetryDelay = "5 minutes" }) with { DagrunTimeout = "-1h" };
        var h = new PlanHarness(spec);

        h.Step();

        h.Phase.Should().Be(RunPhase.Failed);
        h.Condition.Reason.Should().Be("InvalidSpec");
        h.Condition.Message.Should()
            .Contain("task 'a': triggerRule: unknown trigger rule 'all_sucess'; expected one of: all_success,")
            .And.Contain("task 'b': retryDelay: '5 minutes' is not a duration")
            .And.Contain("dagrunTimeout: '-1h' is not a positive duration");
        h.Starts.Should().BeEmpty();
        h.Last.Status.Tasks!.Should().OnlyContain(t => t.State == TaskState.Skipped);
    }

    [Fact]
    public void Plan_Cycle_RunFailsWithThePath()
    {
        var h = new PlanHarness(Dag(Task("a", "c"), Task("b", "a"), Task("c", "b")));

        h.Step();

        h.Condition.Should().Match<Condition>(c => c.Reason == "InvalidSpec" && c.Message == "tasks: dependency cycle a -> b -> c -> a");
    }

    [Fact]
    public void Plan_TaskNotInSpec_RemovedAndItsJobStopped()
    {
        var h = new PlanHarness(Dag(Task("a")))
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = T0,
                Tasks =
                [
                    new TaskInstanceStatus { Name = "old", State = TaskState.Running, TryNumber = 1, Job = "j-old-1" },
                    new TaskInstanceStatus { Name = "a", State = TaskState.None },
                ],
            },
        };
        h.AddJob(new TaskExecution("old", 1, "j-old-1", ExecutionPhase.Running, T0));

        h.Step();

        h.Last.Status.Tasks!.Select(t => (t.Name, t.State)).Should().Equal(("a", TaskState.Queued), ("old", TaskState.Removed));
        h.Stops.Should().ContainSingle().Which.Should().Be(new StopExecution("old", "j-old-1", "the task is not in the run's Dag spec"));
        h.Last.Status.Progress.Should().Be("0/1");
    }

    [Fact]
    public void Plan_KeepsFieldsOwnedByOthers()
    {
        var h = new PlanHarness(Dag(Task("a")))
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Queued,
                RunId = "manual__2026-01-01T00:00:00+00:00",
                ObservedGeneration = 3,
                Conditions = [new Condition { Type = "ParamsValid", Status = "True" }],
            },
        };

        h.Step();

        h.Last.Status.RunId.Should().Be("manual__2026-01-01T00:00:00+00:00");
        h.Last.Status.ObservedGeneration.Should().Be(3);
        h.Last.Status.Conditions!.Select(c => c.Type).Should().Equal("Succeeded", "ParamsValid");
    }
}
