using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>What the local job runner does with the pods it is given.</summary>
public enum JobRunnerMode
{
    /// <summary>Run each container's command + args as a process on this machine (the image is not pulled).</summary>
    Processes,

    /// <summary>Run nothing: containers finish with the exit code and message from annotations or options (tests, benchmarks).</summary>
    Simulated,

    /// <summary>No job controller and no kubelet: Jobs and pods stay as written (a bare API server).</summary>
    Off,
}

/// <summary>How a simulated container ends: exit code, termination message, run time and log lines.</summary>
public sealed record SimulatedOutcome
{
    public int ExitCode { get; init; }

    /// <summary>Becomes <c>state.terminated.message</c> (as if written to the termination-message file).</summary>
    public string Message { get; init; } = "";

    /// <summary>How long the container "runs" (on the store's clock); zero finishes at once.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Lines for the container log; empty writes one line saying what was simulated.</summary>
    public IReadOnlyList<string> LogLines { get; init; } = [];
}

/// <summary>
/// Settings of the local job runner (the Job controller and kubelet of the local cluster).
/// <see cref="LocalClusterOptions.JobRunner"/> defaults to <see cref="Disabled"/>; <c>new JobRunnerOptions()</c>
/// runs processes.
/// </summary>
public sealed record JobRunnerOptions
{
    /// <summary>No runner: the server only stores Jobs and pods.</summary>
    public static readonly JobRunnerOptions Disabled = new() { Mode = JobRunnerMode.Off };

    public JobRunnerMode Mode { get; init; } = JobRunnerMode.Processes;

    /// <summary>
    /// Where pod and claim directories live (Processes mode). Null: "jobrunner" under the cluster's data
    /// directory, or, without one, a temporary directory that is deleted when the runner stops.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>Processes that may run at once; pods beyond stay Pending (PodScheduled=False) in arrival order.</summary>
    public int MaxConcurrentProcesses { get; init; } = 2 * Environment.ProcessorCount;

    /// <summary>Start containers with this process's environment (PATH, HOME...) under the container's env; false gives only the container's env and a default PATH.</summary>
    public bool InheritEnvironment { get; init; } = true;

    /// <summary>
    /// Container path -> directory on this machine, mapped in every container as if a hostPath volume were
    /// mounted there (a pod's own volumeMount at the same path wins). <c>k8sflow run</c> uses it for the
    /// Dag's local-mounts annotation: the scripts an image has under /app are in the repository locally.
    /// </summary>
    public IReadOnlyDictionary<string, string> HostMounts { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// First delay before the Job controller replaces a failed pod, doubled per failure and capped at 6 minutes,
    /// as in Kubernetes (10 s). Zero replaces failed pods at once.
    /// </summary>
    public TimeSpan FailedPodBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before the kubelet restarts a container (restartPolicy OnFailure/Always), doubled per restart, capped at 5 minutes.</summary>
    public TimeSpan ContainerRestartBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a pod waiting for a missing ConfigMap, Secret or PersistentVolumeClaim looks again.</summary>
    public TimeSpan MissingObjectRetry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Simulated mode: the outcome of containers whose pod has no <see cref="SimulationAnnotations"/>.</summary>
    public SimulatedOutcome SimulatedDefault { get; init; } = new();

    /// <summary>
    /// Simulated mode: decides the outcome per pod (null falls back to the annotations, then
    /// <see cref="SimulatedDefault"/>). The pod passed in must not be changed.
    /// </summary>
    public Func<JsonObject, SimulatedOutcome?>? Simulate { get; init; }

    /// <summary>Diagnostics about the runner itself (an unexpected error in a reconcile); null discards them.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// Pod annotations (usually set in a Job's pod template) that steer a simulated container; each
/// overrides the matching field of <see cref="JobRunnerOptions.SimulatedDefault"/>.
/// </summary>
public static class SimulationAnnotations
{
    /// <summary>An integer, e.g. "3".</summary>
    public const string ExitCode = "k8sflow.io/sim-exit-code";

    /// <summary>The termination message, e.g. <c>{"rows": "42"}</c>.</summary>
    public const string Message = "k8sflow.io/sim-message";

    /// <summary>A Go-style duration, e.g. "500ms", "2s", "1m30s".</summary>
    public const string Duration = "k8sflow.io/sim-duration";

    /// <summary>Log text; each line becomes a log line.</summary>
    public const string Logs = "k8sflow.io/sim-logs";
}
