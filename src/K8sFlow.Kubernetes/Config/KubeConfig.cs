using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace K8sFlow.Kubernetes.Config;

/// <summary>A kubeconfig problem; the message names the file, context, user or cluster, and the field.</summary>
public sealed class KubeConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One or more kubeconfig files merged like kubectl does: for clusters, users and contexts the first
/// file that defines a name wins, and the first non-empty current-context wins. Relative paths
/// (certificate files, tokenFile, exec commands with a directory) are resolved against the file
/// that holds them.
/// </summary>
public sealed record KubeConfig
{
    public const string EnvironmentVariable = "KUBECONFIG";

    public IReadOnlyDictionary<string, KubeConfigCluster> Clusters { get; init; } = new Dictionary<string, KubeConfigCluster>();
    public IReadOnlyDictionary<string, KubeConfigUser> Users { get; init; } = new Dictionary<string, KubeConfigUser>();
    public IReadOnlyDictionary<string, KubeConfigContext> Contexts { get; init; } = new Dictionary<string, KubeConfigContext>();
    public string? CurrentContext { get; init; }

    /// <summary>The files merged, in precedence order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>
    /// Loads <paramref name="explicitPath"/> when given, else the files of $KUBECONFIG (separated by
    /// ':' on Unix; missing ones are skipped), else ~/.kube/config.
    /// </summary>
    public static KubeConfig Load(string? explicitPath = null) =>
        Load(explicitPath, Environment.GetEnvironmentVariable(EnvironmentVariable),
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary><see cref="Load(string?)"/> with the environment passed in (tests, tools).</summary>
    public static KubeConfig Load(string? explicitPath, string? kubeconfigVariable, string homeDirectory)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath)
                ? LoadFile(explicitPath)
                : throw new KubeConfigException($"kubeconfig file '{explicitPath}' does not exist.");
        }
        if (!string.IsNullOrEmpty(kubeconfigVariable))
        {
            var listed = kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
            var existing = listed.Where(File.Exists).ToList();
            return existing.Count > 0
                ? Merge(existing.Select(LoadFile))
                : throw new KubeConfigException($"None of the kubeconfig files in ${EnvironmentVariable} exist: {string.Join(", ", listed)}.");
        }
        var defaultPath = Path.Combine(homeDirectory, ".kube", "config");
        return File.Exists(defaultPath)
            ? LoadFile(defaultPath)
            : throw new KubeConfigException($"No kubeconfig: ${EnvironmentVariable} is unset and '{defaultPath}' does not exist.");
    }

    public static KubeConfig LoadFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        return Parse(File.ReadAllText(fullPath), fullPath);
    }

    /// <summary>Parses one kubeconfig; <paramref name="sourcePath"/> names it in errors and anchors relative paths.</summary>
    public static KubeConfig Parse(string yaml, string sourcePath)
    {
        KubeConfigFile? file;
        try
        {
            file = new DeserializerBuilder().IgnoreUnmatchedProperties().Build().Deserialize<KubeConfigFile?>(yaml);
        }
        catch (YamlException e)
        {
            throw new KubeConfigException($"kubeconfig '{sourcePath}' is not valid YAML (line {e.Start.Line}): {e.InnerException?.Message ?? e.Message}", e);
        }
        file ??= new KubeConfigFile();
        var directory = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".";
        return new KubeConfig
        {
            Clusters = FirstWins(file.Clusters, "clusters", sourcePath, e => e.Cluster?.Resolve(directory, sourcePath)),
            Users = FirstWins(file.Users, "users", sourcePath, e => e.User?.Resolve(directory, sourcePath)),
            Contexts = FirstWins(file.Contexts, "contexts", sourcePath, e => e.Context is null ? null : e.Context with { SourceFile = sourcePath }),
            CurrentContext = string.IsNullOrEmpty(file.CurrentContext) ? null : file.CurrentContext,
            Files = [sourcePath],
        };
    }

    /// <summary>kubectl's merge: earlier configs win every name they define, and the current-context.</summary>
    public static KubeConfig Merge(IEnumerable<KubeConfig> configs)
    {
        var clusters = new Dictionary<string, KubeConfigCluster>();
        var users = new Dictionary<string, KubeConfigUser>();
        var contexts = new Dictionary<string, KubeConfigContext>();
        string? currentContext = null;
        var files = new List<string>();
        foreach (var config in configs)
        {
            foreach (var (name, cluster) in config.Clusters)
            {
                clusters.TryAdd(name, cluster);
            }
            foreach (var (name, user) in config.Users)
            {
                users.TryAdd(name, user);
            }
            foreach (var (name, context) in config.Contexts)
            {
                contexts.TryAdd(name, context);
            }
            currentContext ??= config.CurrentContext;
            files.AddRange(config.Files);
        }
        return new KubeConfig { Clusters = clusters, Users = users, Contexts = contexts, CurrentContext = currentContext, Files = files };
    }

    /// <summary>
    /// The connection of <paramref name="contextName"/> (default: current-context): server, TLS
    /// settings, credentials and namespace ("default" when the context sets none).
    /// </summary>
    public ClusterConnection ToConnection(string? contextName = null, TimeProvider? timeProvider = null)
    {
        var files = string.Join(", ", Files);
        var name = contextName ?? CurrentContext
            ?? throw new KubeConfigException($"kubeconfig {files} sets no current-context; choose a context ({Available(Contexts)}).");
        if (!Contexts.TryGetValue(name, out var context))
        {
            throw new KubeConfigException($"Context '{name}' is not defined in kubeconfig {files} ({Available(Contexts)}).");
        }
        if (string.IsNullOrEmpty(context.Cluster) || !Clusters.TryGetValue(context.Cluster, out var cluster))
        {
            throw new KubeConfigException(
                $"Context '{name}' in '{context.SourceFile}' refers to cluster '{context.Cluster}', which kubeconfig {files} does not define ({Available(Clusters)}).");
        }
        KubeConfigUser? user = null;
        if (!string.IsNullOrEmpty(context.User) && !Users.TryGetValue(context.User, out user))
        {
            throw new KubeConfigException(
                $"Context '{name}' in '{context.SourceFile}' refers to user '{context.User}', which kubeconfig {files} does not define ({Available(Users)}).");
        }
        var time = timeProvider ?? TimeProvider.System;
        return new ClusterConnection
        {
            Server = cluster.ServerUri(context.Cluster),
            Namespace = string.IsNullOrEmpty(context.Namespace) ? "default" : context.Namespace,
            CertificateAuthorities = cluster.LoadCertificateAuthorities(context.Cluster),
            InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
            TlsServerName = cluster.TlsServerName,
            Proxy = cluster.ProxyUri(context.Cluster),
            Credentials = user?.CreateCredentials(context.User!, cluster, time) ?? StaticCredentials.None,
            Source = $"kubeconfig context '{name}'",
        };
    }

    private static string Available<T>(IReadOnlyDictionary<string, T> entries) =>
        entries.Count == 0 ? "none defined" : "defined: " + string.Join(", ", entries.Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, T> FirstWins<TEntry, T>(List<TEntry>? entries, string section, string sourcePath, Func<TEntry, T?> value)
        where TEntry : INamedEntry
        where T : class
    {
        var result = new Dictionary<string, T>();
        foreach (var (entry, index) in (entries ?? []).Select((e, i) => (e, i)))
        {
            if (string.IsNullOrEmpty(entry.Name))
            {
                throw new KubeConfigException($"kubeconfig '{sourcePath}': {section}[{index}] has no name.");
            }
            var resolved = value(entry)
                ?? throw new KubeConfigException($"kubeconfig '{sourcePath}': {section}[{index}] ('{entry.Name}') has no {section.TrimEnd('s')} body.");
            result.TryAdd(entry.Name, resolved);
        }
        return result;
    }

    private interface INamedEntry
    {
        string? Name { get; }
    }

    private sealed class KubeConfigFile
    {
        [YamlMember(Alias = "clusters")]
        public List<NamedCluster>? Clusters { get; set; }

        [YamlMember(Alias = "users")]
        public List<NamedUser>? Users { get; set; }

        [YamlMember(Alias = "contexts")]
        public List<NamedContext>? Contexts { get; set; }

        [YamlMember(Alias = "current-context")]
        public string? CurrentContext { get; set; }
    }

    private sealed class NamedCluster : INamedEntry
    {
        [YamlMember(Alias = "name")]
        public string? Name { get; set; }

        [YamlMember(Alias = "cluster")]
        public KubeConfigCluster? Cluster { get; set; }
    }

    private sealed class NamedUser : INamedEntry
    {
        [YamlMember(Alias = "name")]
        public string? Name { get; set; }

        [YamlMember(Alias = "user")]
        public KubeConfigUser? User { get; set; }
    }

    private sealed class NamedContext : INamedEntry
    {
        [YamlMember(Alias = "name")]
        public string? Name { get; set; }

        [YamlMember(Alias = "context")]
        public KubeConfigContext? Context { get; set; }
    }
}

public sealed record KubeConfigContext
{
    [YamlMember(Alias = "cluster")]
    public string? Cluster { get; init; }

    [YamlMember(Alias = "user")]
    public string? User { get; init; }

    [YamlMember(Alias = "namespace")]
    public string? Namespace { get; init; }

    [YamlIgnore]
    public string SourceFile { get; init; } = "";
}
