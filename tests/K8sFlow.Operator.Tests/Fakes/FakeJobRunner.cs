using System.Collections.Concurrent;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Jobs;

namespace K8sFlow.Operator.Tests.Fakes;

/// <summary>How a fake task attempt ends.</summary>
public abstract record AttemptOutcome
{
    public sealed record Succeed(string? Output = null) : AttemptOutcome;

    public sealed record Fail(int ExitCode, string? Log = null) : AttemptOutcome;

    public sealed record DeadlineExceeded : AttemptOutcome;

    /// <summary>Stays running until <see cref="FakeJobRunner.Release"/>.</summary>
    public sealed record Hold : AttemptOutcome;
}

/// <summary>
/// The kubelet and Job controller in one: for every new Job it creates the pod, marks it running, and ends it as
/// <see cref="Behavior"/> says (task name, try number -> outcome), writing pod and Job status like Kubernetes does.
/// </summary>
public sealed class FakeJobRunner : IAsyncDisposable
{
    private readonly FakeKube _kube;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Job> _held = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public FakeJobRunner(FakeKube kube, TimeProvider time, Func<string, int, AttemptOutcome>? behavior = null)
    {
        _kube = kube;
        _time = time;
        Behavior = behavior ?? ((_, _) => new AttemptOutcome.Succeed());
        _loop = Task.Run(RunAsync);
    }

    public Func<string, int, AttemptOutcome> Behavior { get; set; }

    /// <summary>Names of the Jobs held running.</summary>
    public IReadOnlyCollection<string> Held => [.. _held.Keys];

    /// <summary>Ends a held Job (waiting until the runner holds it).</summary>
    public async Task Release(string jobName, AttemptOutcome outcome)
    {
        Job? job = null;
        await _kube.Changed.WaitUntilAsync(() => _held.TryRemove(jobName, out job), $"Job {jobName} is held");
        await FinishAsync(job!, outcome);
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var watchEvent in _kube.WatchAsync(KubeKinds.Job, null, cancellationToken: _stop.Token))
            {
                if (watchEvent.Type == WatchEventType.Added && watchEvent.Object is { } job)
                {
                    await StartAsync(job);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    private async Task StartAsync(Job job)
    {
        var task = job.Metadata.Annotations![K8sFlowApi.Annotations.TaskName];
        var tryNumber = int.Parse(job.Metadata.Labels![K8sFlowApi.Labels.TryNumber], System.Globalization.CultureInfo.InvariantCulture);
        var now = _time.GetUtcNow();
        var labels = new Dictionary<string, string>(job.Spec.Template.Metadata?.Labels ?? [])
        {
            [ExecutionObserver.JobNameLabel] = job.Metadata.Name!,
        };
        await _kube.CreateAsync(KubeKinds.Pod, new Pod
        {
            Metadata = new ObjectMeta
            {
                Name = job.Metadata.Name + "-pod",
                Namespace = job.Metadata.Namespace,
                Labels = labels,
                OwnerReferences = [new OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = job.Metadata.Name!, Uid = job.Metadata.Uid!, Controller = true }],
            },
            Spec = job.Spec.Template.Spec,
        });
        await WritePodStatusAsync(job, new PodStatus
        {
            Phase = "Running",
            StartTime = now,
            ContainerStatuses = [new ContainerStatus { Name = "main", State = new ContainerState { Running = new ContainerStateRunning { StartedAt = now } } }],
        });
        await WriteJobStatusAsync(job, new JobStatus { StartTime = now, Active = 1 });

        var outcome = Behavior(task, tryNumber);
        if (outcome is AttemptOutcome.Hold)
        {
            _held[job.Metadata.Name!] = job;
            _kube.Changed.Set(); // tests wait for Held
            return;
        }
        await FinishAsync(job, outcome);
    }

    private async Task FinishAsync(Job job, AttemptOutcome outcome)
    {
        if (_kube.Find(KubeKinds.Job, job.Metadata.Namespace, job.Metadata.Name!) is null)
        {
            return; // deleted meanwhile
        }
        var now = _time.GetUtcNow();
        var started = _kube.Find(KubeKinds.Job, job.Metadata.Namespace, job.Metadata.Name!)?.Status?.StartTime ?? now;
        var (exitCode, message, condition) = outcome switch
        {
            AttemptOutcome.Succeed s => (0, s.Output, Condition("Complete", null, null, now)),
            AttemptOutcome.Fail f => (f.ExitCode, f.Log, Condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now)),
            _ => (137, null, Condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline", now)),
        };
        await WritePodStatusAsync(job, new PodStatus
        {
            Phase = exitCode == 0 ? "Succeeded" : "Failed",
            StartTime = started,
            ContainerStatuses =
            [
                new ContainerStatus
                {
                    Name = "main",
                    State = new ContainerState
                    {
                        Terminated = new ContainerStateTerminated
                        {
                            ExitCode = exitCode, Reason = exitCode == 0 ? "Completed" : "Error", Message = message, StartedAt = started, FinishedAt = now,
                        },
                    },
                },
            ],
        });
        await WriteJobStatusAsync(job, new JobStatus
        {
            StartTime = started,
            CompletionTime = exitCode == 0 ? now : null,
            Succeeded = exitCode == 0 ? 1 : 0,
            Failed = exitCode == 0 ? 0 : 1,
            Conditions = [condition],
        });
    }

    private static Condition Condition(string type, string? reason, string? message, DateTimeOffset now) =>
        new() { Type = type, Status = "True", Reason = reason, Message = message, LastTransitionTime = now };

    private async Task WritePodStatusAsync(Job job, PodStatus status)
    {
        if (_kube.Find(KubeKinds.Pod, job.Metadata.Namespace, job.Metadata.Name + "-pod") is { } pod)
        {
            await IgnoreNotFound(_kube.ReplaceStatusAsync(KubeKinds.Pod, pod with { Status = status }));
        }
    }

    private async Task WriteJobStatusAsync(Job job, JobStatus status)
    {
        if (_kube.Find(KubeKinds.Job, job.Metadata.Namespace, job.Metadata.Name!) is { } current)
        {
            await IgnoreNotFound(_kube.ReplaceStatusAsync(KubeKinds.Job, current with { Status = status }));
        }
    }

    /// <summary>The operator may delete a Job (cancel) while it runs.</summary>
    private static async Task IgnoreNotFound(Task write)
    {
        try
        {
            await write;
        }
        catch (K8sFlow.Kubernetes.KubeApiException e) when (e.IsNotFound)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
