using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary>Clusters with a job runner, Job builders, and waits on store watch events (never on the clock).</summary>
internal static class RunnerSupport
{
    /// <summary>How long a wait on the store may take before the test fails (generous: the machine is shared).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public const string Ns = "default";

    /// <summary>A cluster whose runner replaces failed pods and restarts containers at once.</summary>
    public static Task<TestCluster> StartAsync(JobRunnerMode mode = JobRunnerMode.Processes,
        Func<JobRunnerOptions, JobRunnerOptions>? runner = null, Func<LocalClusterOptions, LocalClusterOptions>? cluster = null)
    {
        var options = new JobRunnerOptions { Mode = mode, FailedPodBackoff = TimeSpan.Zero, ContainerRestartBackoff = TimeSpan.Zero, Log = m => Console.Error.WriteLine("RUNNER: " + m) };
        options = runner?.Invoke(options) ?? options;
        return TestCluster.StartAsync(o => (cluster?.Invoke(o) ?? o) with { JobRunner = options });
    }

    /// <summary>A Job with one container "main" running <paramref name="command"/> (none when empty), backoffLimit 0.</summary>
    public static JsonObject Job(string name, params string[] command)
    {
        var container = new JsonObject { ["name"] = "main", ["image"] = "busybox:1.36" };
        if (command.Length > 0)
        {
            container["command"] = new JsonArray(command.Select(c => (JsonNode)c).ToArray());
        }
        return new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Ns },
            ["spec"] = new JsonObject
            {
                ["backoffLimit"] = 0,
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject { ["restartPolicy"] = "Never", ["containers"] = new JsonArray(container) },
                },
            },
        };
    }

    public static JsonObject Shell(string name, string script) => Job(name, "/bin/sh", "-c", script);

    public static JsonObject MainContainer(JsonObject job) => job["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();

    public static JsonObject Create(TestCluster cluster, JsonObject job) => cluster.Store.Create(ResourceRef.Jobs, Ns, job).Unwrap();

    public static bool HasCondition(JsonObject job, string type, string? reason = null) =>
        (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c =>
            c["type"]?.GetValue<string>() == type && c["status"]?.GetValue<string>() == "True" && (reason is null || c["reason"]?.GetValue<string>() == reason));

    public static bool Finished(JsonObject job) => HasCondition(job, "Complete") || HasCondition(job, "Failed");

    public static string? Phase(JsonObject pod) => pod["status"]?["phase"]?.GetValue<string>();

    public static JsonObject? Terminated(JsonObject pod) => pod["status"]?["containerStatuses"]?[0]?["state"]?["terminated"] as JsonObject;

    public static List<JsonObject> PodsOf(TestCluster cluster, string job) =>
        cluster.Store.List(ResourceRef.Pods, Ns, new ListOptions { LabelSelector = $"batch.kubernetes.io/job-name={job}" }).Unwrap().Items.ToList();

    /// <summary>Waits for the first version of the object (current or coming) that satisfies <paramref name="until"/>.</summary>
    public static async Task<JsonObject> WaitAsync(TestCluster cluster, ResourceRef resource, string name, Func<JsonObject, bool> until, string what)
    {
        using var watch = cluster.Store.Watch(resource, Ns, new WatchOptions { FieldSelector = $"metadata.name={name}" }).Unwrap();
        using var timeout = new CancellationTokenSource(Patience);
        JsonObject? last = null;
        try
        {
            await foreach (var change in watch.ReadAllAsync(timeout.Token))
            {
                if (change.Type is WatchEventType.Added or WatchEventType.Modified)
                {
                    last = change.Object;
                    if (until(change.Object))
                    {
                        return change.Object;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Reported below.
        }
        throw new TimeoutException($"{resource} {name}: no {what} within {Patience.TotalSeconds} s; last seen:\n{last?.ToJsonString()}");
    }

    public static Task<JsonObject> WaitJobAsync(TestCluster cluster, string name, Func<JsonObject, bool> until, string what) =>
        WaitAsync(cluster, ResourceRef.Jobs, name, until, what);

    public static Task<JsonObject> WaitFinishedAsync(TestCluster cluster, string name) =>
        WaitJobAsync(cluster, name, Finished, "Complete or Failed condition");

    public static Task<JsonObject> WaitPodAsync(TestCluster cluster, string name, Func<JsonObject, bool> until, string what) =>
        WaitAsync(cluster, ResourceRef.Pods, name, until, what);

    /// <summary>The first pod of a Job, once it exists (watching pods with the Job's label).</summary>
    public static async Task<JsonObject> WaitFirstPodAsync(TestCluster cluster, string job, Func<JsonObject, bool> until, string what)
    {
        using var watch = cluster.Store.Watch(ResourceRef.Pods, Ns, new WatchOptions { LabelSelector = $"batch.kubernetes.io/job-name={job}" }).Unwrap();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await foreach (var change in watch.ReadAllAsync(timeout.Token))
            {
                if (change.Type is WatchEventType.Added or WatchEventType.Modified && until(change.Object))
                {
                    return change.Object;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Reported below.
        }
        throw new TimeoutException($"no pod of job {job} with {what} within {Patience.TotalSeconds} s");
    }

    /// <summary>Waits until the object is deleted (returns at once when it no longer exists).</summary>
    public static async Task WaitDeletedAsync(TestCluster cluster, ResourceRef resource, string name)
    {
        var version = cluster.Store.ResourceVersion;
        if (!cluster.Store.Get(resource, Ns, name).IsSuccess)
        {
            return;
        }
        using var watch = cluster.Store.Watch(resource, Ns, new WatchOptions { FieldSelector = $"metadata.name={name}", ResourceVersion = version }).Unwrap();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await foreach (var change in watch.ReadAllAsync(timeout.Token))
            {
                if (change.Type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Reported below.
        }
        throw new TimeoutException($"{resource} {name} was not deleted within {Patience.TotalSeconds} s");
    }

    /// <summary>The process id behind a running container ("local://PID").</summary>
    public static int ProcessId(JsonObject pod)
    {
        var id = pod["status"]!["containerStatuses"]![0]!["containerID"]!.GetValue<string>();
        return int.Parse(id["local://".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Processes whose command line contains <paramref name="marker"/> (a unique sleep duration in tests).</summary>
    public static List<int> ProcessesWith(string marker) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
            .Where(pid => ReadOrEmpty($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(marker, StringComparison.Ordinal))
            .ToList();

    /// <summary>True once the process has exited (gone, or a zombie nobody reaped yet).</summary>
    public static async Task<bool> ExitedAsync(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            var stat = ReadOrEmpty($"/proc/{pid}/stat");
            return stat.Length == 0 || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
