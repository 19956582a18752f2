using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.LocalCluster;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>
/// A local cluster on a random port over HTTPS, and clients built the way users build them: from the
/// kubeconfig the server wrote (its CA, its token), through <see cref="KubeConfig"/> and
/// <see cref="ClusterConnection"/>.
/// </summary>
internal sealed class LiveCluster : IAsyncDisposable
{
    /// <summary>Every real-time wait is bounded this generously: the tests run on loaded 2-core machines.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory;
    private readonly List<IDisposable> _owned = [];

    private LiveCluster(LocalClusterServer server, TempDirectory directory)
    {
        Server = server;
        _directory = directory;
        Client = NewClient();
    }

    public LocalClusterServer Server { get; }

    public string KubeconfigPath => Path.Combine(_directory.Path, "kubeconfig");

    /// <summary>A client with the default options (retries on) from the kubeconfig.</summary>
    public KubeClient Client { get; }

    public static async Task<LiveCluster> StartAsync(Func<LocalClusterOptions, LocalClusterOptions>? configure = null)
    {
        var directory = new TempDirectory();
        var options = new LocalClusterOptions { KubeconfigPath = Path.Combine(directory.Path, "kubeconfig") };
        var server = await LocalClusterServer.StartAsync(configure?.Invoke(options) ?? options);
        return new LiveCluster(server, directory);
    }

    /// <summary>The connection of the kubeconfig's current context.</summary>
    public ClusterConnection Connection() => KubeConfig.Load(KubeconfigPath).ToConnection();

    /// <summary>
    /// Another client from the kubeconfig (one per simulated process); <paramref name="wrap"/> may put
    /// a fault-injecting handler in front of the connection's TLS and token handler.
    /// </summary>
    public KubeClient NewClient(KubeClientOptions? options = null, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
    {
        var connection = Connection();
        KubeClient client;
        if (wrap is null)
        {
            client = KubeClient.Create(connection, options);
        }
        else
        {
            var http = new HttpClient(wrap(connection.CreateHandler())) { BaseAddress = connection.Server, Timeout = Timeout.InfiniteTimeSpan };
            client = new KubeClient(http, (options ?? new KubeClientOptions()) with { DefaultNamespace = connection.Namespace });
            _owned.Add(http);
        }
        _owned.Add(client);
        return client;
    }

    /// <summary>A fresh namespace, so a test sees only its own objects.</summary>
    public async Task<string> CreateNamespaceAsync(string name)
    {
        await Client.CreateAsync(KubeKinds.Namespace, new Namespace { Metadata = new ObjectMeta { Name = name } });
        return name;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        await Server.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>Bounded waits for the integration tests.</summary>
internal static class Live
{
    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(LiveCluster.Patience);

    public static Task Within(this Task task) => task.WaitAsync(LiveCluster.Patience);

    public static CancellationToken Token() => new CancellationTokenSource(LiveCluster.Patience).Token;
}
