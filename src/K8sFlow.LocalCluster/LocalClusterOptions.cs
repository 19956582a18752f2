using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster;

/// <summary>One request as the server saw it, for the optional request log.</summary>
public sealed record RequestLogEntry(string Method, string PathAndQuery, int StatusCode, string? Accept, string? ContentType, string? UserAgent, TimeSpan Duration)
{
    public override string ToString() =>
        $"{Method} {PathAndQuery} -> {StatusCode} ({Duration.TotalMilliseconds:0} ms) accept={Accept} content-type={ContentType} ua={UserAgent}";
}

/// <summary>How to start a <see cref="LocalClusterServer"/>.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Where to write a kubeconfig for this server (context <see cref="ContextName"/>); null writes none.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>Name of the cluster, user and context in the kubeconfig.</summary>
    public string ContextName { get; init; } = "k8sflow-local";

    /// <summary>Bearer token clients must send; null generates a random one.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Serve HTTPS with a certificate authority generated at start (its certificate goes into the
    /// kubeconfig as certificate-authority-data). Needed for token auth with kubectl: client-go sends
    /// kubeconfig credentials to https servers only.
    /// </summary>
    public bool UseTls { get; init; } = true;

    /// <summary>Refuse requests without the bearer token (401). Turn off to use kubectl over plain HTTP.</summary>
    public bool RequireToken { get; init; } = true;

    /// <summary>When set, objects are saved there (debounced, atomic replace) and reloaded on the next start.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>How long to wait after a change before saving (changes in between are saved together).</summary>
    public TimeSpan PersistenceDebounce { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Settings of the object store (clock, history window, graceful pod deletion...).</summary>
    public ClusterStoreOptions Store { get; init; } = new();

    /// <summary>How often a watch with allowWatchBookmarks=true gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a watch without timeoutSeconds stays open; null: 30 to 60 minutes, like the apiserver.</summary>
    public TimeSpan? WatchTimeout { get; init; }

    /// <summary>Called after every request (debugging kubectl interactions); null logs nothing.</summary>
    public Action<RequestLogEntry>? RequestLog { get; init; }

    /// <summary>The local job runner (Job controller + kubelet); off by default: a bare API server.</summary>
    public JobRunnerOptions JobRunner { get; init; } = JobRunnerOptions.Disabled;
}
