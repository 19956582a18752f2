using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace K8sFlow.Core.Api;

[Description("One execution of a Dag (Airflow's DAG run).")]
public sealed record DagRun : KubernetesObject
{
    public DagRun() => Kind = K8sFlowApi.DagRunKind;

    [Required]
    public DagRunSpec Spec { get; init; } = new();
    public DagRunStatus? Status { get; init; }
}

[Description("Which Dag to run, with which params and dates.")]
public sealed record DagRunSpec
{
    [Description("Name of the Dag in the same namespace.")]
    [Required]
    [RegularExpression(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    [MaxLength(Names.MaxSubdomainLength)]
    public string DagName { get; init; } = "";

    [Description("Run params; override the Dag's defaults and are checked against its declarations (Airflow's conf).")]
    public Dictionary<string, JsonNode?>? Params { get; init; }

    [Description("manual (default), scheduled, backfill or asset_triggered.")]
    [AllowedValues(Names.RunTypes.Manual, Names.RunTypes.Scheduled, Names.RunTypes.Backfill, Names.RunTypes.AssetTriggered)]
    public string? RunType { get; init; }

    [Description("The run's logical date (Airflow logical_date). Set by the scheduler; inferred for manual runs when absent.")]
    public DateTimeOffset? LogicalDate { get; init; }
    [Description("Start of the data interval the run covers (Airflow data_interval_start). Set by the scheduler; inferred for manual runs when absent.")]
    public DateTimeOffset? DataIntervalStart { get; init; }
    [Description("End of the data interval the run covers (Airflow data_interval_end).")]
    public DateTimeOffset? DataIntervalEnd { get; init; }

    [Description("The run does not start before this time.")]
    public DateTimeOffset? RunAfter { get; init; }

    [Description("Set true to cancel the run (Airflow: mark the run failed): its running Jobs are deleted, running and queued tasks become failed, pending tasks skipped, and the run ends Failed with reason Cancelled.")]
    public bool? Cancel { get; init; }

    [Description("Clear tasks to run them again (Airflow clear, spec §12): the named tasks go back to none with a fresh retry budget and a finished run resumes. Applied once per requestId; set a new requestId to clear again. `k8sflow clear` writes it.")]
    public ClearRequest? Clear { get; init; }
}

[Description("A request to clear task instances, applied once per requestId.")]
public sealed record ClearRequest
{
    [Description("Any unique value (e.g. a timestamp); the controller records the last one it applied in status.clearedRequestId.")]
    [Required]
    public string RequestId { get; init; } = "";

    [Description("The tasks to clear (the selection is already expanded: downstream/upstream/only-failed are resolved by the client).")]
    [Required]
    public List<string> Tasks { get; init; } = [];
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

    [Description("The run's logical date as resolved (Airflow logical_date; {{ ds }} is its UTC day). Absent for asset-triggered runs.")]
    public DateTimeOffset? LogicalDate { get; init; }
    [Description("Resolved start of the run's data interval (Airflow data_interval_start).")]
    public DateTimeOffset? DataIntervalStart { get; init; }
    [Description("Resolved end of the run's data interval (Airflow data_interval_end).")]
    public DateTimeOffset? DataIntervalEnd { get; init; }
    [Description("Earliest time the run may start.")]
    public DateTimeOffset? RunAfter { get; init; }
    [Description("When the run started Running.")]
    public DateTimeOffset? StartTime { get; init; }
    [Description("When the run reached Succeeded or Failed.")]
    public DateTimeOffset? EndTime { get; init; }
    [Description("The metadata.generation of the spec this status describes.")]
    public long? ObservedGeneration { get; init; }
    [Description("Kubernetes-style conditions (type, status True/False/Unknown, reason, message).")]
    public List<Condition>? Conditions { get; init; }

    [Description("Resolved run params (Dag defaults overridden by spec.params).")]
    public Dictionary<string, JsonNode?>? Params { get; init; }

    [Description("One record per task instance (a task without one is none). Runs of many tasks keep records that carry only a state in compactTasks instead.")]
    public List<TaskInstanceStatus>? Tasks { get; init; }

    [Description("Compact records, written once a run's records outgrow 64 KiB (thousands of tasks): task state -> ranges of indexes into the pinned spec's tasks, e.g. \"0-4999,5001\". Such a task is at try 1 if it started, else 0; its times are on its Job. `k8sflow status` expands them.")]
    public Dictionary<TaskState, string>? CompactTasks { get; init; }

    [Description("The ConfigMap (key dagSpec.json, owned by this run) holding the Dag spec this run pinned on its first reconcile; the run plans only from it, so editing or deleting the Dag never changes a started run.")]
    public string? DagSpecConfigMap { get; init; }

    [Description("The Dag's metadata.generation when the run pinned its spec.")]
    public long? DagGeneration { get; init; }

    [Description("The spec.clear.requestId last applied (each clear request is applied exactly once).")]
    public string? ClearedRequestId { get; init; }
}

[Description("State of one task instance in this run.")]
public sealed record TaskInstanceStatus
{
    [Description("The task's name in the Dag.")]
    // Not a list-map key on purpose: only the controller writes status, and an atomic list keeps managedFields from
    // growing an entry per task.
    [Required]
    public string Name { get; init; } = "";
    // Default values are not written: most tasks of a large run are none at try 0, and status must stay small.
    [Description("Airflow state: none (not written), scheduled, queued, running, up_for_retry, up_for_reschedule, success, failed, skipped, upstream_failed, removed.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TaskState State { get; init; }
    [Description("Current attempt, counting from 1 (0, not written, before the first attempt).")]
    [Range(0, int.MaxValue)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int TryNumber { get; init; }
    [Description("Tries made before the task was last cleared: retries count from there, while try numbers (and Job names) keep increasing.")]
    [Range(0, int.MaxValue)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int ClearedTries { get; init; }
    [Description("The batch/v1 Job of the current attempt.")]
    public string? Job { get; init; }
    [Description("When the task became ready to run (dependencies met).")]
    public DateTimeOffset? ReadyTime { get; init; }
    [Description("When the current attempt started running.")]
    public DateTimeOffset? StartTime { get; init; }
    [Description("When the current attempt finished.")]
    public DateTimeOffset? EndTime { get; init; }
    [Description("Earliest time of the next attempt while up_for_retry.")]
    public DateTimeOffset? NextTryTime { get; init; }
    [Description("Exit code of the current attempt's container.")]
    public int? ExitCode { get; init; }
    [Description("Human-readable detail of the task's last state change.")]
    public string? Message { get; init; }
    [Description("Why the task is waiting, skipped or upstream_failed.")]
    public string? Reason { get; init; }
    [Description("The JSON object the task wrote to $K8SFLOW_OUTPUT (values as JSON text). Cleared at each try.")]
    public Dictionary<string, string>? Outputs { get; init; }
}
