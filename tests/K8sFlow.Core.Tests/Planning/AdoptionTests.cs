using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

/// <summary>The controller may crash between creating a Job and writing status, and a write may be lost.</summary>
public class AdoptionTests
{
    [Fact]
    public void Plan_StatusWriteLostAfterStart_AdoptsJobInsteadOfStartingAgain()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b")));
        h.Step(writeStatus: false);
        h.Status.Should().BeNull();
        h.Running("a");

        h.Step();

        h.Starts.Should().BeEmpty();
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Running && t.TryNumber == 1 && t.Job == "etl-manual-1-a-1");
        h.Task("b").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Queued && t.TryNumber == 1);
        h.Phase.Should().Be(RunPhase.Running, "Jobs exist, so the run had started although its status says nothing");
    }

    [Fact]
    public void Plan_QueuedStatusLostButJobsExist_RunsEvenWhenItMayNotStart()
    {
        var h = new PlanHarness(Dag(Task("a")));
        h.Step(writeStatus: false);
        h.MayStart = false;

        h.Step();

        h.Phase.Should().Be(RunPhase.Running);
        h.Last.Actions.Should().BeEmpty();
    }

    [Fact]
    public void Plan_StaleStatusMissedARetry_AdoptsNewestTry()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 3 }))
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = T0,
                Tasks = [new TaskInstanceStatus { Name = "a", State = TaskState.Running, TryNumber = 1, Job = "etl-manual-1-a-1" }],
            },
        };
        h.AddJob(new TaskExecution("a", 1, "etl-manual-1-a-1", ExecutionPhase.Failed, T0, T0, ExitCode: 1));
        h.AddJob(new TaskExecution("a", 2, "etl-manual-1-a-2", ExecutionPhase.Running, T0.AddMinutes(6)));

        h.Step();

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Running && t.TryNumber == 2 && t.Job == "etl-manual-1-a-2");
        h.Last.Actions.Should().BeEmpty();
    }

    [Fact]
    public void Plan_AdoptedFailedAttempt_RetryTimeFromItsEnd()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1, RetryDelay = "10m" })) { Now = T0.AddMinutes(3) };
        h.AddJob(new TaskExecution("a", 1, "etl-manual-1-a-1", ExecutionPhase.Failed, T0, T0.AddMinutes(1), ExitCode: 1));

        h.Step();

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.UpForRetry && t.NextTryTime == T0.AddMinutes(11));
        h.Last.RequeueAfter.Should().Be(TimeSpan.FromMinutes(8));
    }

    [Fact]
    public void Plan_QueuedButJobNotObservedYet_RequestsTheSameJobAgain()
    {
        // The informer cache may lag behind the create: asking again is safe, AlreadyExists means adopt.
        var h = new PlanHarness(Dag(Task("a")));
        h.Step();
        h.RemoveJob("etl-manual-1-a-1");

        h.Step();

        h.Starts.Should().ContainSingle().Which.Should().Be(new StartTask("a", 1, "etl-manual-1-a-1", null));
        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Queued && t.TryNumber == 1);
    }

    [Fact]
    public void Plan_RunningJobDisappeared_AttemptFailed()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1, RetryDelay = "1m" }));
        h.Step();
        h.Running("a");
        h.Step();
        h.RemoveJob("etl-manual-1-a-1");

        h.Step();

        h.Task("a").Should().Match<TaskInstanceStatus>(t =>
            t.State == TaskState.UpForRetry && t.Message == "Job etl-manual-1-a-1 disappeared while running");
        h.Starts.Should().BeEmpty();
    }

    [Fact]
    public void Plan_EarlierTryStillRunning_NextTryWaitsAndOldJobIsStopped()
    {
        var h = new PlanHarness(Dag(Task("a") with { Retries = 1 }))
        {
            Now = T0.AddHours(1),
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = T0,
                Tasks = [new TaskInstanceStatus { Name = "a", State = TaskState.UpForRetry, TryNumber = 1, NextTryTime = T0.AddMinutes(5) }],
            },
        };
        h.AddJob(new TaskExecution("a", 1, "etl-manual-1-a-1", ExecutionPhase.Running, T0));

        h.Step();

        h.Starts.Should().BeEmpty();
        h.Stops.Should().ContainSingle().Which.Should().Be(new StopExecution("a", "etl-manual-1-a-1", "task a is up_for_retry at try 1"));
        h.Task("a").Reason.Should().Be("waiting for Job etl-manual-1-a-1 to stop");

        h.Step(); // the Job is gone now

        h.Starts.Should().ContainSingle().Which.TryNumber.Should().Be(2);
    }

    [Fact]
    public void Plan_FinalTaskStateSticks_LiveJobOfItStopped()
    {
        var h = new PlanHarness(Dag(Task("a")))
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = T0,
                Tasks = [new TaskInstanceStatus { Name = "a", State = TaskState.Skipped, Reason = "branch x chose no task" }],
            },
        };
        h.AddJob(new TaskExecution("a", 1, "etl-manual-1-a-1", ExecutionPhase.Running, T0));

        h.Step();

        h.State("a").Should().Be(TaskState.Skipped);
        h.Stops.Should().ContainSingle().Which.ExecutionName.Should().Be("etl-manual-1-a-1");
    }

    [Fact]
    public void Plan_FailFastWriteLost_ReachesTheSameDecisionWithoutRestarting()
    {
        var h = new PlanHarness(Dag(Task("a"), Task("b")) with { FailFast = true });
        h.Step();
        h.Running("b");
        h.Step();
        h.Fail("a");
        h.Step(writeStatus: false); // b's Job is stopped, but status still says b is running

        h.Step();

        h.State("b").Should().Be(TaskState.Failed);
        h.Starts.Should().BeEmpty();
        h.Phase.Should().Be(RunPhase.Failed);
        h.Recreated.Should().BeEmpty();
    }
}
