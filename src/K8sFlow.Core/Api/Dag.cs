using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace K8sFlow.Core.Api;

// Descriptions on these types become the CRD's openAPIV3Schema descriptions (`make crds`):
// Airflow users read them with `kubectl explain`, so they say how each field maps to Airflow.
// DataAnnotations become schema constraints checked at `kubectl apply` time:
// [Required] -> required, [Range] -> minimum/maximum, [RegularExpression] -> pattern,
// [AllowedValues] -> enum, [MinLength]/[MaxLength] -> minLength/maxLength (minItems/maxItems on lists),
// [Key] on an item's property -> the list is a map keyed by it (kubectl rejects duplicate keys).

[Description("A workflow: tasks, their dependencies, a schedule and params. Airflow's DAG as a Kubernetes resource.")]
public sealed record Dag : KubernetesObject
{
    public Dag() => Kind = K8sFlowApi.DagKind;

    [Required]
    public DagSpec Spec { get; init; } = new();
    public DagStatus? Status { get; init; }
}

[Description("What the DAG runs and when.")]
public sealed record DagSpec
{
    [Description("When runs are created: absent = manual runs only; a 5-field cron (\"0 2 * * *\"); a preset (@hourly, @daily, @weekly, @monthly, @quarterly, @yearly); \"@every <duration>\" (fixed interval, ignores DST); @once (one run at startDate); @continuous (a new run as soon as the previous one ends).")]
    public string? Schedule { get; init; }

    [Description("IANA time zone the cron schedule is read in (wall-clock time, DST-aware). Default UTC. Template dates (ds, ts) are always UTC.")]
    public string? Timezone { get; init; }

    [Description("How schedule points map to runs. trigger (Airflow 3 default): a run fires at each cron match and its logical date is that match. dataInterval (Airflow 2): a run covers [match, next match), starts when the interval ends, and its logical date is the interval start.")]
    [AllowedValues("trigger", "dataInterval")]
    public string? Timetable { get; init; }

    [Description("Earliest schedule point (aligned up to the next match). Required for scheduled DAGs.")]
    public DateTimeOffset? StartDate { get; init; }

    [Description("Inclusive: no run whose schedule point is after it.")]
    public DateTimeOffset? EndDate { get; init; }

    [Description("Create a run for every missed schedule point since startDate (true) or only for the newest one (false, default).")]
    public bool? Catchup { get; init; }

    [Description("Runs of this DAG running at once (Airflow max_active_runs). Default 16; further runs wait Queued.")]
    [Range(1, int.MaxValue)]
    public int? MaxActiveRuns { get; init; }

    [Description("Tasks of one run running at once (Airflow 3 max_active_tasks). Default 16.")]
    [Range(1, int.MaxValue)]
    public int? MaxActiveTasksPerRun { get; init; }

    [Description("A paused DAG gets no new scheduled runs and its queued runs do not start.")]
    public bool? Paused { get; init; }

    [Description("Maximum duration of a run (e.g. 2h). On timeout the run fails and every unfinished task is skipped.")]
    [RegularExpression(Durations.Pattern)]
    public string? DagrunTimeout { get; init; }

    [Description("When one task fails, fail the running tasks and skip the pending ones.")]
    public bool? FailFast { get; init; }

    [Description("Run parameters with JSON-Schema-like declarations. Run params override the defaults; a run whose params fail validation is refused.")]
    public Dictionary<string, ParamSpec>? Params { get; init; }

    [Description("Defaults applied to every task (a task's own fields win).")]
    public TaskDefaults? Defaults { get; init; }

    [Description("A shared volume per run, mounted in every task at $K8SFLOW_WORKSPACE.")]
    public WorkspaceSpec? Workspace { get; init; }

    [Description("The tasks. Each attempt runs as a batch/v1 Job.")]
    [Required]
    [MinLength(1)]
    public List<TaskSpec> Tasks { get; init; } = [];
}

[Description("A run parameter declaration (a subset of JSON Schema).")]
public sealed record ParamSpec
{
    [Description("string, integer, number, boolean, array or object. Default string.")]
    [AllowedValues("string", "integer", "number", "boolean", "array", "object")]
    public string? Type { get; init; }

    [Description("Value used when a run does not set this param.")]
    public JsonNode? Default { get; init; }

    [Description("Allowed values.")]
    public List<JsonNode?>? Enum { get; init; }

    [Description("Lower bound for integer and number params.")]
    public double? Minimum { get; init; }

    [Description("Upper bound for integer and number params.")]
    public double? Maximum { get; init; }

    [Description("Regular expression a string param must match.")]
    public string? Pattern { get; init; }

    [Description("A run must set this param when it has no default.")]
    public bool? Required { get; init; }

    [Description("What the param means, shown to whoever triggers a run (Airflow Param description).")]
    public string? Description { get; init; }
}

[Description("Task fields applied to every task unless the task sets them.")]
public sealed record TaskDefaults
{
    [Description("Container image of every task that sets none.")]
    public string? Image { get; init; }
    [Description("Environment variables of every task; a task's own env entries win by name.")]
    public List<EnvVar>? Env { get; init; }
    [Description("Container resources of every task that sets none.")]
    public ResourceRequirements? Resources { get; init; }
    [Description("Retries after the first attempt (Airflow retries). Default 0.")]
    [Range(0, int.MaxValue)]
    public int? Retries { get; init; }
    [Description("Wait before a retry (e.g. 30s, 5m). Default 300s.")]
    [RegularExpression(Durations.Pattern)]
    public string? RetryDelay { get; init; }
    [Description("Double the retry delay on each attempt (with jitter), capped by maxRetryDelay.")]
    public bool? RetryExponentialBackoff { get; init; }
    [Description("Upper bound of the retry delay with exponential backoff (at most 24h).")]
    [RegularExpression(Durations.Pattern)]
    public string? MaxRetryDelay { get; init; }
    [Description("Maximum duration of one attempt; a timeout is retried like any failure.")]
    [RegularExpression(Durations.Pattern)]
    public string? ExecutionTimeout { get; init; }
    [Description("Service account the task pods run as.")]
    public string? ServiceAccountName { get; init; }
    [Description("Pod template fields merged last into every task pod (escape hatch).")]
    public JsonObject? PodTemplate { get; init; }
}

[Description("A per-run shared volume (a PVC in a cluster, a directory locally).")]
public sealed record WorkspaceSpec
{
    [Description("Requested size as a Kubernetes quantity, e.g. 1Gi.")]
    [RegularExpression(@"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")]
    public string? Size { get; init; }
    [Description("Storage class of the workspace PVC; absent = the cluster's default class.")]
    public string? StorageClassName { get; init; }
}

[Description("One task: a container run as a batch/v1 Job per attempt.")]
public sealed record TaskSpec
{
    [Description("Unique within the DAG: letters, digits, '_', '-', '.', at most 63 characters (Airflow task_id).")]
    [Required]
    [Key]
    [RegularExpression(@"^[A-Za-z0-9_.-]+$")]
    [MaxLength(Names.MaxLabelLength)]
    public string Name { get; init; } = "";

    [Description("Upstream task names (Airflow's >> dependencies).")]
    public List<string>? DependsOn { get; init; }

    [Description("When the task runs given its upstreams' states, with Airflow's names: all_success (default), all_failed, all_done, all_done_min_one_success, all_skipped, one_success, one_failed, one_done, none_failed, none_failed_min_one_success, none_skipped, always.")]
    [AllowedValues("all_success", "all_failed", "all_done", "all_done_min_one_success", "all_skipped", "one_success",
        "one_failed", "one_done", "none_failed", "none_failed_min_one_success", "none_skipped", "always")]
    public string? TriggerRule { get; init; }

    [Description("container (default) or branch: a branch task writes {\"branch\": \"task\"} or {\"branch\": [\"a\", \"b\"]} to the file $K8SFLOW_OUTPUT names; its other direct downstream tasks are skipped.")]
    [AllowedValues("container", "branch")]
    public string? Type { get; init; }

    [Description("Container image; default: defaults.image.")]
    public string? Image { get; init; }

    [Description("Container entrypoint. Supports templates such as {{ ds }} and {{ params.NAME }}.")]
    public List<string>? Command { get; init; }

    [Description("Container arguments. Supports templates such as {{ ds }}, {{ params.NAME }}, {{ tasks.TASK.outputs.KEY }}.")]
    public List<string>? Args { get; init; }

    [Description("Extra environment variables (values support templates).")]
    public List<EnvVar>? Env { get; init; }

    [Description("Container resources; default: defaults.resources.")]
    public ResourceRequirements? Resources { get; init; }

    [Description("Retries after the first attempt (Airflow retries).")]
    [Range(0, int.MaxValue)]
    public int? Retries { get; init; }
    [Description("Wait before a retry (e.g. 30s, 5m). Default 300s.")]
    [RegularExpression(Durations.Pattern)]
    public string? RetryDelay { get; init; }
    [Description("Double the retry delay on each attempt (with jitter), capped by maxRetryDelay (Airflow retry_exponential_backoff).")]
    public bool? RetryExponentialBackoff { get; init; }
    [Description("Upper bound of the retry delay with exponential backoff (at most 24h; Airflow max_retry_delay).")]
    [RegularExpression(Durations.Pattern)]
    public string? MaxRetryDelay { get; init; }
    [Description("Maximum duration of one attempt (the Job's activeDeadlineSeconds).")]
    [RegularExpression(Durations.Pattern)]
    public string? ExecutionTimeout { get; init; }

    [Description("Assets (URIs) this task updates: each success emits one asset event per outlet.")]
    public List<string>? Outlets { get; init; }

    [Description("Service account the task pod runs as; default: defaults.serviceAccountName.")]
    public string? ServiceAccountName { get; init; }

    [Description("Pod template fields merged last into this task's pod (escape hatch: nodeSelector, tolerations, volumes...).")]
    public JsonObject? PodTemplate { get; init; }
}

[Description("Observed state of the DAG, written by the controller.")]
public sealed record DagStatus
{
    [Description("The metadata.generation of the spec this status describes.")]
    public long? ObservedGeneration { get; init; }
    [Description("Kubernetes-style conditions (type, status True/False/Unknown, reason, message).")]
    public List<Condition>? Conditions { get; init; }
    [Description("Logical date of the newest scheduled run created.")]
    public DateTimeOffset? LastScheduledLogicalDate { get; init; }
    [Description("Time of the newest run of this DAG.")]
    public DateTimeOffset? LastRunTime { get; init; }
    [Description("When the next scheduled run is due.")]
    public DateTimeOffset? NextRunTime { get; init; }
    [Description("The next planned runs, so catch-up and first-run timing are visible.")]
    public List<string>? NextRuns { get; init; }
    [Description("Human-readable summary of the latest reconcile (e.g. why no run is scheduled).")]
    public string? Message { get; init; }
}
