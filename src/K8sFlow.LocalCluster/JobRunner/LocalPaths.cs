namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// Where the runner keeps files under its data directory:
/// <c>pods/&lt;namespace&gt;/&lt;pod&gt;-&lt;uid prefix&gt;/</c> per pod (removed with the pod) holding
/// <c>volumes/&lt;volume&gt;/</c> (emptyDir, configMap, secret) and <c>containers/&lt;container&gt;/</c>
/// (<c>termination-log</c>, <c>work/</c> = the default working directory); and
/// <c>claims/&lt;namespace&gt;/&lt;claim&gt;/</c> per PersistentVolumeClaim, shared by every pod that mounts it
/// and kept when pods go.
/// </summary>
internal sealed class LocalPaths(string root)
{
    public string Root { get; } = root;

    public string Pod(string ns, string name, string uid) => Path.Combine(Root, "pods", ns, $"{name}-{uid[..Math.Min(8, uid.Length)]}");

    public string Claim(string ns, string claim) => Path.Combine(Root, "claims", ns, claim);

    public static string Volume(string podDirectory, string volume) => Path.Combine(podDirectory, "volumes", volume);

    public static string Container(string podDirectory, string container) => Path.Combine(podDirectory, "containers", container);

    public static string TerminationLog(string podDirectory, string container) => Path.Combine(Container(podDirectory, container), "termination-log");

    public static string DefaultWorkingDirectory(string podDirectory, string container) => Path.Combine(Container(podDirectory, container), "work");

    /// <summary>Object and volume names become directory names: refuse anything that could leave the data directory.</summary>
    public static bool IsSafeName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.IndexOfAny(['/', '\\', '\0']) < 0;

    /// <summary>A relative path (subPath, item path) that stays below its base.</summary>
    public static bool IsSafeRelativePath(string path) =>
        path.Length > 0 && !Path.IsPathRooted(path) && !path.Split('/', '\\').Any(part => part == "..");
}
