using System.ComponentModel;
using System.Text.Json.Nodes;

namespace K8sFlow.Core.Api;

[Description("One execution of a Dag (Airflow's DAG run).")]
public sealed record DagRun : KubernetesObject
{
    public DagRun() => Kind = K8sFlowApi.DagRunKind;

    public DagRunSpec Spec { get; init; } = new();
    public DagRunStatus? Status { get; init; }
}

[Description("Which Dag to run, with which params and dates.")]
public sealed record DagRunSpec
{
    [Description("Name of the Dag in the same namespace.")]
    public string DagName { get; init; } = "";

    [Description("Run params; override the Dag's defaults and are checked against its declarations (Airflow's conf).")]
    public Dictionary<string, JsonNode?>? Params { get; init; }

    [Description("manual (default), scheduled, backfill or asset_triggered.")]
    public string? RunType { get; init; }

    [Description("The run's logical date (Airflow logical_date). Set by the scheduler; inferred for manual runs when absent.")]
    public DateTimeOffset? LogicalDate { get; init; }
    public DateTimeOffset? DataIntervalStart { get; init; }
    public DateTimeOffset? DataIntervalEnd { get; init; }

    [Description("The run does not start before this time.")]
    public DateTimeOffset? RunAfter { get; init; }
}

/// <summary>Run phases use Kubernetes style; task states use Airflow's names (see <see cref="TaskState"/>).</summary>
public enum RunPhase
{
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// <summary>Airflow task instance states; serialized snake_case ("upstream_failed").</summary>
public enum TaskState
{
    None,
    Scheduled,
    Queued,
    Running,
    UpForRetry,
    UpForReschedule,
    Success,
    Failed,
    Skipped,
    UpstreamFailed,
    Removed,
}

public static class TaskStates
{
    public static bool IsFinished(this TaskState state) => state is TaskState.Success or TaskState.Failed
        or TaskState.Skipped or TaskState.UpstreamFailed or TaskState.Removed;
}

[Description("Observed state of the run, written by the controller.")]
public sealed record DagRunStatus
{
    [Description("Queued, Running, Succeeded or Failed.")]
    public RunPhase? Phase { get; init; }

    [Description("Airflow-style run id: manual__<time>, scheduled__<logical date>, backfill__<logical date>.")]
    public string? RunId { get; init; }

    [Description("Finished tasks / all tasks, e.g. 5/9.")]
    public string? Progress { get; init; }

    public DateTimeOffset? LogicalDate { get; init; }
    public DateTimeOffset? DataIntervalStart { get; init; }
    public DateTimeOffset? DataIntervalEnd { get; init; }
    public DateTimeOffset? RunAfter { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    public long? ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }

    [Description("Resolved run params (Dag defaults overridden by spec.params).")]
    public Dictionary<string, JsonNode?>? Params { get; init; }

    [Description("One entry per task instance.")]
    public List<TaskInstanceStatus>? Tasks { get; init; }
}

[Description("State of one task instance in this run.")]
public sealed record TaskInstanceStatus
{
    public string Name { get; init; } = "";
    [Description("Airflow state: none, scheduled, queued, running, up_for_retry, success, failed, skipped, upstream_failed, removed.")]
    public TaskState State { get; init; }
    [Description("Current attempt, counting from 1 (0 before the first attempt).")]
    public int TryNumber { get; init; }
    [Description("The batch/v1 Job of the current attempt.")]
    public string? Job { get; init; }
    [Description("When the task became ready to run (dependencies met).")]
    public DateTimeOffset? ReadyTime { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }
    [Description("Earliest time of the next attempt while up_for_retry.")]
    public DateTimeOffset? NextTryTime { get; init; }
    public int? ExitCode { get; init; }
    public string? Message { get; init; }
    [Description("Why the task is waiting, skipped or upstream_failed.")]
    public string? Reason { get; init; }
    [Description("The JSON object the task wrote to $K8SFLOW_OUTPUT (values as JSON text). Cleared at each try.")]
    public Dictionary<string, string>? Outputs { get; init; }
}
