using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Logs;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>What a runtime needs before a pod's containers can start.</summary>
internal abstract record PodPreparation
{
    /// <summary>Everything is in place; <see cref="Launches"/> holds each container's launch by name (empty when simulated).</summary>
    public sealed record Ready(IReadOnlyDictionary<string, ContainerLaunch> Launches) : PodPreparation;

    /// <summary>An object the pod needs does not exist yet (a ConfigMap, Secret or claim): try again later.</summary>
    public sealed record Waiting(string Reason, string Message) : PodPreparation;

    /// <summary>The pod can never start here (an unsupported volume): it fails.</summary>
    public sealed record Invalid(string Message) : PodPreparation;
}

/// <summary>The result of starting one container.</summary>
internal abstract record ContainerStart
{
    /// <summary>Started; <see cref="Exited"/> completes when it ends (also after a kill).</summary>
    public sealed record Running(DateTimeOffset StartedAt, string ContainerId, Task<ContainerExitReport> Exited) : ContainerStart;

    /// <summary>Could not start (no command, executable not found): terminated with reason StartError.</summary>
    public sealed record Failed(string Message) : ContainerStart;
}

/// <summary>How a started container ended: exit code, time, and the raw termination message (file content).</summary>
internal sealed record ContainerExitReport(int ExitCode, DateTimeOffset FinishedAt, string Message);

/// <summary>Runs containers: as host processes, or simulated.</summary>
internal interface IContainerRuntime
{
    /// <summary>Slots a pod takes from the process limit; 0 when the runtime runs no processes.</summary>
    int SlotsFor(JsonObject pod);

    /// <summary>Volumes, env and paths of every container (may touch the disk).</summary>
    PodPreparation Prepare(JsonObject pod);

    /// <summary>Starts one container. Cancelling <paramref name="kill"/> kills it; <see cref="ContainerStart.Running.Exited"/> still completes.</summary>
    ContainerStart Start(JsonObject pod, JsonObject container, PodPreparation.Ready prepared, CancellationToken kill);

    /// <summary>The pod is gone: remove what was made for it (its directory).</summary>
    void Release(string ns, string pod, string uid);
}

/// <summary>The container terminationMessagePath contract: at most 4096 bytes (12 KiB per pod), or the log tail on error.</summary>
internal static class TerminationMessages
{
    public const string DefaultPath = "/dev/termination-log";
    public const int MaxBytes = 4096;
    public const int MaxBytesPerPod = 12 * 1024;
    public const int FallbackLogLines = 80;
    public const int FallbackLogBytes = 2048;

    /// <summary>The limit per container: 4096 bytes, less when the pod's 12 KiB are shared by more than three containers.</summary>
    public static int LimitFor(int containers) => Math.Min(MaxBytes, MaxBytesPerPod / Math.Max(1, containers));

    /// <summary>Reads at most <see cref="MaxBytes"/> of the file; a missing file is an empty message.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            var buffer = new byte[MaxBytes];
            var read = file.ReadAtLeast(buffer, MaxBytes, throwOnEndOfStream: false);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Keeps the first <paramref name="limit"/> bytes (UTF-8), like the kubelet.</summary>
    public static string Truncate(string message, int limit)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        return bytes.Length <= limit ? message : Encoding.UTF8.GetString(bytes, 0, limit);
    }

    /// <summary>
    /// The message written to state.terminated: the file's content, or with FallbackToLogsOnError, an empty
    /// file and a non-zero exit, the last 80 lines / 2048 bytes of the container log.
    /// </summary>
    public static string Resolve(string fileContent, string? policy, int exitCode, IReadOnlyList<LogLine> log, int limit)
    {
        if (fileContent.Length > 0 || policy != "FallbackToLogsOnError" || exitCode == 0)
        {
            return Truncate(fileContent, limit);
        }
        var tail = string.Concat(log.Skip(Math.Max(0, log.Count - FallbackLogLines)).Select(l => l.Text + "\n"));
        var bytes = Encoding.UTF8.GetBytes(tail);
        return bytes.Length <= FallbackLogBytes ? tail : Encoding.UTF8.GetString(bytes, bytes.Length - FallbackLogBytes, FallbackLogBytes);
    }
}
