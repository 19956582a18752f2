using K8sFlow.Core.Api;

namespace K8sFlow.Core.Planning;

/// <summary>Phase of one observed attempt (a Job and its pod).</summary>
public enum ExecutionPhase
{
    /// <summary>Job created, pod not running yet.</summary>
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// <summary>
/// One observed attempt of a task (a Job and its pod), as the controller saw it. <c>Name</c> is the Job name
/// (<see cref="Names.TaskJobName"/>), the (task, try) lock; <c>Reason</c> is Kubernetes' reason, e.g.
/// <c>DeadlineExceeded</c> when activeDeadlineSeconds ran out; <c>Output</c> is the raw text the task wrote
/// to $K8SFLOW_OUTPUT (a JSON object), if any.
/// </summary>
public sealed record TaskExecution(
    string TaskName,
    int TryNumber,
    string Name,
    ExecutionPhase Phase,
    DateTimeOffset? StartTime = null,
    DateTimeOffset? EndTime = null,
    int? ExitCode = null,
    string? Reason = null,
    string? Message = null,
    string? Output = null)
{
    public const string DeadlineExceededReason = "DeadlineExceeded";

    public bool IsLive => Phase is ExecutionPhase.Pending or ExecutionPhase.Running;
}

/// <summary>A snapshot of one run: everything <see cref="RunPlanner.Plan"/> may look at.</summary>
public sealed record PlanInput
{
    public required string DagName { get; init; }
    /// <summary>The DagRun's metadata.name; Job names derive from it.</summary>
    public required string RunName { get; init; }
    /// <summary>The Dag spec the run pinned when it started.</summary>
    public required DagSpec Spec { get; init; }
    /// <summary>The run's status as last written (may be stale: a write can be lost).</summary>
    public DagRunStatus? Status { get; init; }
    /// <summary>The run's Jobs as observed; the truth when <see cref="Status"/> is stale.</summary>
    public IReadOnlyList<TaskExecution> Executions { get; init; } = [];
    public required DateTimeOffset Now { get; init; }
    /// <summary>False while maxActiveRuns is reached, the Dag is paused or runAfter is ahead: a Queued run stays Queued.</summary>
    public required bool MayStart { get; init; }
    /// <summary>Why <see cref="MayStart"/> is false, shown on the run (e.g. "maxActiveRuns (1) reached").</summary>
    public string? QueuedReason { get; init; }
    public bool CancelRequested { get; init; }
    /// <summary>The run's logical date; part of the retry backoff hash (absent for asset-triggered runs).</summary>
    public DateTimeOffset? LogicalDate { get; init; }
}

/// <summary>Something the controller must do to the cluster for a plan.</summary>
public abstract record PlanAction;

/// <summary>
/// Create the Job <c>ExecutionName</c> for try <c>TryNumber</c>; AlreadyExists means it was already done.
/// <c>Timeout</c> is the task's executionTimeout: the Job's activeDeadlineSeconds.
/// </summary>
public sealed record StartTask(string TaskName, int TryNumber, string ExecutionName, TimeSpan? Timeout) : PlanAction;

/// <summary>Stop (delete) a live Job; NotFound means it was already done.</summary>
public sealed record StopExecution(string TaskName, string ExecutionName, string Reason) : PlanAction;

/// <summary>
/// The planner's answer: the next status (written once), the actions to apply first, and
/// <c>RequeueAfter</c>: plan again after this even without events (retry delay, timeouts); null = on events only.
/// </summary>
public sealed record RunPlan(DagRunStatus Status, IReadOnlyList<PlanAction> Actions, TimeSpan? RequeueAfter);

/// <summary>The run's one condition, Kubernetes style: type Succeeded, status Unknown while queued or running.</summary>
public static class RunConditions
{
    public const string Succeeded = "Succeeded";

    /// <summary>Reasons of the Succeeded condition.</summary>
    public static class Reasons
    {
        public const string Queued = "Queued";
        public const string Running = "Running";
        public const string Succeeded = "Succeeded";
        /// <summary>A leaf task ended failed or upstream_failed.</summary>
        public const string TasksFailed = "TasksFailed";
        public const string Deadlock = "Deadlock";
        public const string DagrunTimeout = "DagrunTimeout";
        public const string FailFast = "FailFast";
        public const string Cancelled = "Cancelled";
        /// <summary>The pinned spec cannot be planned (validation should have refused it).</summary>
        public const string InvalidSpec = "InvalidSpec";
    }
}
