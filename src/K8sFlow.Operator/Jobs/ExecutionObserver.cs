using System.Globalization;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.Jobs;

/// <summary>An observed attempt; <c>AwaitingPod</c>: the Job ended but its pod's final state is not in the cache yet.</summary>
public sealed record Observation(TaskExecution Execution, bool AwaitingPod);

/// <summary>
/// Turns a task attempt's Job and pod into the planner's <see cref="TaskExecution"/>: the Job's conditions give
/// the outcome (Complete, or Failed with its reason, e.g. DeadlineExceeded); the pod's "main" container gives the
/// exit code, the times and the termination message (the task's outputs on success, the log tail on failure).
/// </summary>
public static class ExecutionObserver
{
    /// <summary>Label Kubernetes puts on a Job's pods (and "job-name" before 1.27).</summary>
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string LegacyJobNameLabel = "job-name";

    /// <summary>Failure messages longer than this keep their end (the last log lines say most).</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>How long a Job's verdict waits for its pod's final state to reach the cache.</summary>
    public static readonly TimeSpan PodGrace = TimeSpan.FromSeconds(30);

    private const string ConditionTrue = "True";

    /// <summary>
    /// The execution of <paramref name="job"/>, given pods that may include other Jobs' pods (those are ignored);
    /// null when the Job does not carry K8sFlow's task and try labels.
    /// </summary>
    /// <remarks>
    /// Jobs and pods come from two watches, so the Job's verdict can arrive before its pod's final state. Within
    /// <see cref="PodGrace"/> of the verdict, an attempt whose pod has not been seen terminated is still reported
    /// live (<see cref="Observation.AwaitingPod"/>): a success needs the pod's termination message (the task's
    /// outputs), a failure its exit code. A deadline failure does not wait: the Job controller kills the pod.
    /// After the grace the Job's verdict stands alone (the pod may be gone for good).
    /// </remarks>
    public static Observation? Observe(Job job, IEnumerable<Pod> pods, DateTimeOffset now)
    {
        var meta = job.Metadata;
        var taskName = meta.Annotations?.GetValueOrDefault(K8sFlowApi.Annotations.TaskName);
        var tryText = meta.Labels?.GetValueOrDefault(K8sFlowApi.Labels.TryNumber);
        if (string.IsNullOrEmpty(taskName) || meta.Name is null
            || !int.TryParse(tryText, NumberStyles.None, CultureInfo.InvariantCulture, out var tryNumber))
        {
            return null;
        }

        var pod = PodOf(job, pods);
        var main = pod?.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == JobFactory.ContainerName)
            ?? pod?.Status?.ContainerStatuses?.FirstOrDefault();
        var terminated = main?.State?.Terminated ?? main?.LastState?.Terminated;
        var started = terminated?.StartedAt ?? main?.State?.Running?.StartedAt ?? pod?.Status?.StartTime ?? job.Status?.StartTime;
        var execution = new TaskExecution(taskName, tryNumber, meta.Name, ExecutionPhase.Pending, StartTime: started);

        // A container that has run is this attempt running until the Job's verdict arrives: the Job controller
        // writes its conditions after the pod finishes, and the task must not look queued again meanwhile.
        var running = pod?.Status?.Phase is "Running" or "Succeeded" or "Failed" || main?.State?.Running is not null || terminated is not null;
        var live = running ? execution with { Phase = ExecutionPhase.Running } : execution;
        var conditions = job.Status?.Conditions ?? [];
        var succeeded = conditions.FirstOrDefault(c => c.Status == ConditionTrue && c.Type is "Complete" or "SuccessCriteriaMet");
        var failed = conditions.FirstOrDefault(c => c.Status == ConditionTrue && c.Type is "Failed" or "FailureTarget");
        var verdictAt = succeeded?.LastTransitionTime ?? job.Status?.CompletionTime ?? failed?.LastTransitionTime;
        var podPending = terminated is null && pod?.Metadata.DeletionTimestamp is null
            && (succeeded is not null || (failed is not null && failed.Reason != TaskExecution.DeadlineExceededReason));
        if (podPending && verdictAt is { } at && now - at < PodGrace)
        {
            return new Observation(live, AwaitingPod: true);
        }
        if (succeeded is not null)
        {
            return Decided(execution with
            {
                Phase = ExecutionPhase.Succeeded,
                EndTime = terminated?.FinishedAt ?? job.Status?.CompletionTime ?? succeeded.LastTransitionTime,
                ExitCode = terminated?.ExitCode,
                Output = terminated?.Message,
            });
        }
        if (failed is not null)
        {
            // DeadlineExceeded is the Job's verdict (activeDeadlineSeconds); otherwise the container says more
            // (Error, OOMKilled) than the Job's BackoffLimitExceeded.
            var reason = failed.Reason == TaskExecution.DeadlineExceededReason
                ? failed.Reason
                : terminated?.Reason ?? failed.Reason;
            return Decided(execution with
            {
                Phase = ExecutionPhase.Failed,
                EndTime = terminated?.FinishedAt ?? failed.LastTransitionTime,
                ExitCode = terminated?.ExitCode,
                Reason = reason,
                Message = Tail(string.IsNullOrWhiteSpace(terminated?.Message) ? failed.Message : terminated.Message.Trim()),
            });
        }
        return Decided(live);
    }

    private static Observation Decided(TaskExecution execution) => new(execution, AwaitingPod: false);

    /// <summary>The pods of <paramref name="job"/> by its job-name label or owner reference; the newest first decides.</summary>
    private static Pod? PodOf(Job job, IEnumerable<Pod> pods) =>
        pods.Where(p => BelongsTo(p, job))
            .OrderByDescending(p => p.Status?.ContainerStatuses?.Any(c => c.State?.Terminated is not null) == true)
            .ThenByDescending(p => p.Metadata.CreationTimestamp)
            .FirstOrDefault();

    private static bool BelongsTo(Pod pod, Job job) => JobNameOf(pod) == job.Metadata.Name;

    /// <summary>The name of the Job a pod belongs to: its job-name label, else its Job owner reference.</summary>
    public static string? JobNameOf(Pod pod)
    {
        var labels = pod.Metadata.Labels;
        return labels?.GetValueOrDefault(JobNameLabel) ?? labels?.GetValueOrDefault(LegacyJobNameLabel)
            ?? pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Kind == KubeKinds.Job.Kind)?.Name;
    }

    private static string? Tail(string? message) =>
        message is null || message.Length <= MaxMessageLength ? message : "..." + message[^MaxMessageLength..];
}
