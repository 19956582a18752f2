using System.Text.Json.Nodes;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Tests.Crds;

/// <summary>A Dag and a DagRun that set every field (spec and status), for round trips through the CRD schema.</summary>
internal static class FullManifests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 2, 0, 0, TimeSpan.Zero);

    private static List<EnvVar> Env => [new() { Name = "MLFLOW_TRACKING_URI", Value = "http://mlflow:5000" }];

    private static ResourceRequirements Resources => new()
    {
        Requests = new() { ["cpu"] = "500m", ["memory"] = "1Gi" },
        Limits = new() { ["memory"] = "2Gi" },
    };

    private static List<Condition> Conditions =>
    [
        new()
        {
            Type = "Ready", Status = "True", Reason = "Valid", Message = "ok",
            LastTransitionTime = T0, ObservedGeneration = 3,
        },
    ];

    public static Dag Dag => new()
    {
        Metadata = new() { Name = "ml-pipeline", Namespace = "mlops", Labels = new() { ["team"] = "ml" } },
        Spec = new()
        {
            Schedule = "0 2 * * *",
            Timezone = "Asia/Seoul",
            Timetable = "dataInterval",
            StartDate = T0,
            EndDate = T0.AddYears(1),
            Catchup = true,
            MaxActiveRuns = 1,
            MaxActiveTasksPerRun = 4,
            Paused = false,
            DagrunTimeout = "2h",
            FailFast = true,
            Params = new()
            {
                ["threshold"] = new()
                {
                    Type = "number",
                    Default = 0.8,
                    Enum = [0.5, 0.8, JsonValue.Create("x")],
                    Minimum = 0,
                    Maximum = 1,
                    Pattern = ".*",
                    Required = true,
                    Description = "Accuracy gate.",
                },
            },
            Defaults = new()
            {
                Image = "python:3.12-slim",
                Env = Env,
                Resources = Resources,
                Retries = 2,
                RetryDelay = "30s",
                RetryExponentialBackoff = true,
                MaxRetryDelay = "10m",
                ExecutionTimeout = "30m",
                ServiceAccountName = "ml-runner",
                PodTemplate = new JsonObject { ["nodeSelector"] = new JsonObject { ["pool"] = "cpu" } },
            },
            Workspace = new() { Size = "1Gi", StorageClassName = "standard" },
            Tasks =
            [
                new() { Name = "model_evaluation" },
                new()
                {
                    Name = "check_accuracy", DependsOn = ["model_evaluation"], TriggerRule = "all_success", Type = "branch",
                    Image = "python:3.12-slim", Command = ["python3", "/app/check.py"],
                    Args = ["--accuracy", "{{ tasks.model_evaluation.outputs.accuracy }}"], Env = Env,
                    Resources = Resources, Retries = 1, RetryDelay = "5s", RetryExponentialBackoff = false,
                    MaxRetryDelay = "1m", ExecutionTimeout = "5m", Outlets = ["s3://lake/gold/wine"],
                    ServiceAccountName = "ml-runner",
                    PodTemplate = new JsonObject { ["tolerations"] = new JsonArray(new JsonObject { ["key"] = "gpu" }) },
                },
            ],
        },
        Status = new()
        {
            ObservedGeneration = 3,
            Conditions = Conditions,
            LastScheduledLogicalDate = T0,
            LastRunTime = T0,
            NextRunTime = T0.AddDays(1),
            NextRuns = ["2026-01-02T17:00:00Z"],
            Message = "next run in 23h",
        },
    };

    public static DagRun DagRun => new()
    {
        Metadata = new() { Name = "ml-pipeline-scheduled-20260101t020000", Namespace = "mlops" },
        Spec = new()
        {
            DagName = "ml-pipeline",
            Params = new() { ["dataset"] = "iris", ["threshold"] = 0.9, ["tags"] = new JsonArray("a") },
            RunType = "scheduled",
            LogicalDate = T0,
            DataIntervalStart = T0,
            DataIntervalEnd = T0.AddDays(1),
            RunAfter = T0.AddDays(1),
            Cancel = false,
            Clear = new ClearRequest { RequestId = "2026-01-02T08:00:00Z", Tasks = ["model_evaluation"] },
        },
        Status = new()
        {
            Phase = RunPhase.Running,
            RunId = "scheduled__2026-01-01T02:00:00+00:00",
            Progress = "1/2",
            LogicalDate = T0,
            DataIntervalStart = T0,
            DataIntervalEnd = T0.AddDays(1),
            RunAfter = T0.AddDays(1),
            StartTime = T0.AddDays(1),
            EndTime = T0.AddDays(1).AddHours(1),
            ObservedGeneration = 1,
            Conditions = Conditions,
            Params = new() { ["dataset"] = "iris" },
            DagSpecConfigMap = "ml-pipeline-manual-20260101t000000-dag-spec",
            CompactTasks = new() { [TaskState.Success] = "0-2,4", [TaskState.Skipped] = "6" },
            DagGeneration = 3,
            ClearedRequestId = "2026-01-02T08:00:00Z",
            Tasks =
            [
                new()
                {
                    Name = "model_evaluation", State = TaskState.UpstreamFailed, TryNumber = 2, ClearedTries = 1,
                    Job = "ml-pipeline-scheduled-20260101t020000-model-evaluation-2",
                    ReadyTime = T0, StartTime = T0, EndTime = T0, NextTryTime = T0, ExitCode = 1,
                    Message = "exit 1", Reason = "upstream failed", Outputs = new() { ["accuracy"] = "0.93" },
                },
            ],
        },
    };
}
