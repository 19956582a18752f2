using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Jobs;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.Tests.Jobs;

public class ExecutionObserverTests
{
    private const string JobName = "run-1-train-2";
    private static readonly DateTimeOffset Started = T0.AddMinutes(1);
    private static readonly DateTimeOffset Finished = T0.AddMinutes(5);

    private static Job JobWith(params Condition[] conditions) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = JobName,
            Namespace = Ns,
            Labels = new() { [K8sFlowApi.Labels.TryNumber] = "2", [K8sFlowApi.Labels.Task] = "train" },
            Annotations = new() { [K8sFlowApi.Annotations.TaskName] = "train" },
        },
        Status = new JobStatus { StartTime = T0, Conditions = conditions.Length == 0 ? null : [.. conditions] },
    };

    private static Condition True(string type, string? reason = null, string? message = null) =>
        new() { Type = type, Status = "True", Reason = reason, Message = message, LastTransitionTime = Finished.AddSeconds(1) };

    private static Pod PodWith(ContainerState state, string job = JobName, string phase = "Running") => new()
    {
        Metadata = new ObjectMeta { Name = job + "-abcde", Namespace = Ns, Labels = new() { [ExecutionObserver.JobNameLabel] = job } },
        Status = new PodStatus
        {
            Phase = phase,
            StartTime = T0.AddSeconds(30),
            ContainerStatuses = [new ContainerStatus { Name = "main", State = state }],
        },
    };

    private static ContainerState Terminated(int exitCode, string? reason, string? message) => new()
    {
        Terminated = new ContainerStateTerminated { ExitCode = exitCode, Reason = reason, Message = message, StartedAt = Started, FinishedAt = Finished },
    };

    /// <summary>Observed long after the Job's verdict (no waiting for pod updates).</summary>
    private static TaskExecution? Observe(Job job, IEnumerable<Pod> pods) => ExecutionObserver.Observe(job, pods, Finished.AddHours(1))?.Execution;

    [Fact]
    public void Observe_Complete_SucceededWithExitCodeTimesAndOutputs()
    {
        var pod = PodWith(Terminated(0, "Completed", """{"rows": 178}"""), phase: "Succeeded");

        var execution = Observe(JobWith(True("Complete")), [pod]);

        execution.Should().Be(new TaskExecution("train", 2, JobName, ExecutionPhase.Succeeded, Started, Finished, 0, Output: """{"rows": 178}"""));
    }

    [Theory]
    [InlineData("Complete", 0, "Succeeded")]
    [InlineData("Failed", 3, "Failed")]
    [InlineData(null, 0, "Running")]
    public void Observe_WhatTheOperatorCaches_GivesTheSameExecutionAsTheFullObjects(string? condition, int exitCode, string podPhase)
    {
        // The informers keep Jobs and pods without specs and pod status without conditions or images: nothing this reads.
        var state = podPhase == "Running"
            ? new ContainerState { Running = new ContainerStateRunning { StartedAt = Started } }
            : Terminated(exitCode, exitCode == 0 ? "Completed" : "Error", """{"rows": 1}""");
        var pod = PodWith(state, phase: podPhase) with
        {
            Spec = new PodSpec { Containers = [new Container { Name = "main", Image = "python:3.12" }] },
        };
        pod = pod with
        {
            Status = pod.Status! with
            {
                Conditions = [new Condition { Type = "Ready", Status = "False" }],
                PodIP = "10.0.0.7",
                ContainerStatuses = [.. pod.Status.ContainerStatuses!.Select(c => c with { Image = "python:3.12", ImageID = "sha256:1", ContainerID = "local://1" })],
            },
        };
        var job = (condition is null ? JobWith() : JobWith(True(condition))) with { Spec = new JobSpec { BackoffLimit = 0 } };

        var cached = Observe(OperatorCache.CachedJob(job), [OperatorCache.CachedPod(pod)]);

        cached.Should().NotBeNull().And.Be(Observe(job, [pod]));
    }

    [Fact]
    public void Observe_Failed_ContainerReasonExitCodeAndLogTail()
    {
        var pod = PodWith(Terminated(2, "Error", "Traceback ...\nValueError: bad input\n"), phase: "Failed");

        var execution = Observe(JobWith(True("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")), [pod]);

        execution.Should().Be(new TaskExecution("train", 2, JobName, ExecutionPhase.Failed, Started, Finished, 2, "Error",
            "Traceback ...\nValueError: bad input"));
    }

    [Fact]
    public void Observe_FailedWithoutPodAfterTheGrace_KeepsTheJobsReasonAndMessage()
    {
        var execution = Observe(JobWith(True("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")), []);

        execution!.Phase.Should().Be(ExecutionPhase.Failed);
        execution.Reason.Should().Be("BackoffLimitExceeded");
        execution.Message.Should().Be("Job has reached the specified backoff limit");
        execution.EndTime.Should().Be(Finished.AddSeconds(1));
        execution.StartTime.Should().Be(T0, "the Job's start time stands in for the pod's");
    }

    [Fact]
    public void Observe_DeadlineExceeded_IsTheReasonEvenWhenTheContainerWasKilled()
    {
        var pod = PodWith(Terminated(137, "Error", null), phase: "Failed");

        var execution = Observe(JobWith(True("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")), [pod]);

        execution!.Phase.Should().Be(ExecutionPhase.Failed);
        execution.Reason.Should().Be(TaskExecution.DeadlineExceededReason);
        execution.Message.Should().Be("Job was active longer than specified deadline");
        execution.ExitCode.Should().Be(137);
    }

    [Fact]
    public void Observe_RunningContainer_RunningSinceItsStart()
    {
        var pod = PodWith(new ContainerState { Running = new ContainerStateRunning { StartedAt = Started } });

        var execution = Observe(JobWith(), [pod]);

        execution.Should().Be(new TaskExecution("train", 2, JobName, ExecutionPhase.Running, Started));
    }

    [Theory]
    [InlineData(0, "Succeeded")]
    [InlineData(1, "Failed")]
    public void Observe_ContainerFinishedBeforeTheJobsVerdict_StillRunning(int exitCode, string podPhase)
    {
        // The Job controller writes Complete/Failed after the pod ends; until then the task must not look queued again.
        var pod = PodWith(Terminated(exitCode, exitCode == 0 ? "Completed" : "Error", null), phase: podPhase);

        Observe(JobWith(), [pod])!.Phase.Should().Be(ExecutionPhase.Running);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Observe_NoPodYetOrPodWaiting_Pending(bool withWaitingPod)
    {
        Pod[] pods = withWaitingPod
            ? [PodWith(new ContainerState { Waiting = new ContainerStateWaiting { Reason = "ContainerCreating" } }, phase: "Pending")]
            : [];

        Observe(JobWith(), pods)!.Phase.Should().Be(ExecutionPhase.Pending);
    }

    [Fact]
    public void Observe_IgnoresOtherJobsPods()
    {
        var other = PodWith(Terminated(0, "Completed", """{"x": 1}"""), job: "run-1-train-1", phase: "Succeeded");

        Observe(JobWith(), [other])!.Phase.Should().Be(ExecutionPhase.Pending);
    }

    [Fact]
    public void Observe_PodFoundByOwnerReferenceWithoutJobNameLabel()
    {
        var pod = PodWith(Terminated(0, "Completed", "{}"), phase: "Succeeded");
        pod = pod with
        {
            Metadata = pod.Metadata with
            {
                Labels = null,
                OwnerReferences = [new OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = JobName, Uid = "j" }],
            },
        };

        Observe(JobWith(True("Complete")), [pod])!.Output.Should().Be("{}");
    }

    [Fact]
    public void Observe_LongFailureMessage_KeepsTheEnd()
    {
        var log = new string('x', 5000) + "the real error";
        var pod = PodWith(Terminated(1, "Error", log), phase: "Failed");

        var message = Observe(JobWith(True("Failed", "BackoffLimitExceeded")), [pod])!.Message!;

        message.Should().EndWith("the real error").And.StartWith("...");
        message.Length.Should().Be(ExecutionObserver.MaxMessageLength + 3);
    }

    [Fact]
    public void Observe_JobWithoutK8sFlowLabels_IsNotAnExecution()
    {
        var job = JobWith(True("Complete")) with { Metadata = new ObjectMeta { Name = "someone-elses", Namespace = Ns } };

        Observe(job, []).Should().BeNull();
    }

    [Theory]
    [InlineData("Complete", null, true, 29, true)]        // the pod's termination message (outputs) is on its way
    [InlineData("Complete", null, false, 29, true)]
    [InlineData("Complete", null, true, 30, false)]       // after the grace the Job's word is final
    [InlineData("Failed", "BackoffLimitExceeded", true, 29, true)]
    [InlineData("Failed", "BackoffLimitExceeded", false, 29, true)]  // the pod may not be in the cache yet
    [InlineData("Failed", "BackoffLimitExceeded", false, 30, false)]
    [InlineData("Failed", "DeadlineExceeded", true, 29, false)]      // the Job controller kills the pod
    public void Observe_JobEndedBeforeItsPod_StaysLiveWithinTheGrace(string condition, string? reason, bool withRunningPod, int secondsLater, bool awaiting)
    {
        var pods = withRunningPod ? new[] { PodWith(new ContainerState { Running = new ContainerStateRunning { StartedAt = Started } }) } : [];
        var job = JobWith(True(condition, reason));
        var verdictAt = job.Status!.Conditions![0].LastTransitionTime!.Value;

        var observed = ExecutionObserver.Observe(job, pods, verdictAt.AddSeconds(secondsLater))!;

        observed.AwaitingPod.Should().Be(awaiting);
        observed.Execution.IsLive.Should().Be(awaiting);
    }
}
