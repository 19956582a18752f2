using K8sFlow.Core.Api;

namespace K8sFlow.Cli.Local;

/// <summary>The Dag's local mounts (container path -> directory on this machine), or the error naming the bad entry.</summary>
public sealed record LocalMountsResult(IReadOnlyDictionary<string, string> Mounts, string? Error);

/// <summary>
/// Reads the <see cref="K8sFlowApi.Annotations.LocalMounts"/> annotation: <c>/app=ml-pipeline/app[,/data=data]</c>,
/// each host path relative to the manifest's directory (or absolute).
/// </summary>
public static class LocalMounts
{
    public static LocalMountsResult Parse(Dag dag, string manifestDirectory)
    {
        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        var annotation = dag.Metadata.Annotations?.GetValueOrDefault(K8sFlowApi.Annotations.LocalMounts);
        foreach (var entry in (annotation ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !parts[0].StartsWith('/') || parts[0] == "/" || parts[1].Length == 0)
            {
                return Failed(dag, $"entry \"{entry}\" must be CONTAINER_PATH=HOST_PATH with an absolute container path other than /, e.g. /app=ml-pipeline/app");
            }
            var hostPath = Path.GetFullPath(Path.Combine(manifestDirectory, parts[1]));
            if (!Directory.Exists(hostPath))
            {
                return Failed(dag, $"entry \"{entry}\": directory {hostPath} does not exist (host paths are relative to the manifest's directory)");
            }
            mounts[parts[0].TrimEnd('/')] = hostPath;
        }
        return new LocalMountsResult(mounts, null);
    }

    private static LocalMountsResult Failed(Dag dag, string message) =>
        new(new Dictionary<string, string>(), $"dag {dag.Metadata.Name}: annotation {K8sFlowApi.Annotations.LocalMounts}: {message}");
}
