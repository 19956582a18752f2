namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// Maps container paths to local paths for a process that runs on this machine instead of in a container.
/// <para>
/// Mapped container paths: each volumeMount's mountPath (to the volume's local directory, plus subPath)
/// and the terminationMessagePath (to a per-container local file). A path maps when it equals a mapped
/// path or lies under it ("/workspace" and "/workspace/data/x.csv" with a mount at /workspace); the
/// longest mapped path wins. Anything else is left as it is (and taken as a path on this machine).
/// </para>
/// <para>
/// Rewritten tokens: every env value and every command/args item, as a whole, or, for an item of the
/// form <c>NAME=VALUE</c> / <c>--flag=VALUE</c>, the part after the first '='. Paths inside longer text
/// (a ':'-separated list, a sentence) are not rewritten.
/// </para>
/// </summary>
internal sealed class PathMap
{
    private readonly List<(string ContainerPath, string LocalPath)> _entries;

    public PathMap(IEnumerable<(string ContainerPath, string LocalPath)> entries)
    {
        _entries = entries
            .Select(e => (Normalize(e.ContainerPath), e.LocalPath))
            .Where(e => e.Item1.Length > 1)
            .OrderByDescending(e => e.Item1.Length)
            .ToList();
    }

    private static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    /// <summary>The local path for a container path, or null when the path is not mapped.</summary>
    public string? Map(string path)
    {
        foreach (var (containerPath, localPath) in _entries)
        {
            if (path == containerPath || path == containerPath + "/")
            {
                return localPath;
            }
            if (path.StartsWith(containerPath + "/", StringComparison.Ordinal))
            {
                return Path.Join(localPath, path[(containerPath.Length + 1)..]);
            }
        }
        return null;
    }

    /// <summary>A token with its container path replaced by the local one (whole token, or the value after '=').</summary>
    public string Rewrite(string token)
    {
        if (Map(token) is { } whole)
        {
            return whole;
        }
        var equals = token.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && Map(token[(equals + 1)..]) is { } value ? token[..(equals + 1)] + value : token;
    }
}
