using System.Security.Cryptography.X509Certificates;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Crds;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.Operator.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sFlow.Cli.Local;

/// <summary>How to start a <see cref="LocalEnvironment"/>.</summary>
public sealed record LocalEnvironmentOptions
{
    /// <summary>Name of the cluster, user and context in the kubeconfig.</summary>
    public const string ContextName = "k8sflow-dev";

    /// <summary>
    /// Where objects are kept between starts (and, with the default kubeconfig path, the kubeconfig).
    /// <see cref="DefaultDataDirectory"/> gives the CLI's default.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// Port on 127.0.0.1; 0 (the default) picks a free one, so the environment never clashes with a
    /// real cluster's 6443 or with a second environment. The kubeconfig is rewritten at every start.
    /// </summary>
    public int Port { get; init; }

    /// <summary>Where the kubeconfig goes; null: <c>kubeconfig</c> in the data directory.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>
    /// How Jobs run: <see cref="JobRunnerMode.Processes"/> (default: each task's command runs on this machine),
    /// <see cref="JobRunnerMode.Simulated"/> (pods finish at once) or <see cref="JobRunnerMode.Off"/>.
    /// </summary>
    public JobRunnerMode JobRunner { get; init; } = JobRunnerMode.Processes;

    /// <summary>Container path -> directory on this machine, for every task process (see <see cref="JobRunnerOptions.HostMounts"/>).</summary>
    public IReadOnlyDictionary<string, string> HostMounts { get; init; } = new Dictionary<string, string>();

    /// <summary>Run the K8sFlow operator in this process (no leader election: it is the only one).</summary>
    public bool RunOperator { get; init; } = true;

    /// <summary>Where the operator logs; null: nowhere.</summary>
    public ILoggerFactory? Loggers { get; init; }

    /// <summary>Adjusts the local cluster's options before it starts (job runner, clock, request log...).</summary>
    public Func<LocalClusterOptions, LocalClusterOptions>? ConfigureCluster { get; init; }

    public string ResolvedKubeconfigPath => Path.GetFullPath(KubeconfigPath ?? Path.Combine(DataDirectory, "kubeconfig"));

    /// <summary>
    /// <c>.local/k8sflow-dev</c> under <paramref name="currentDirectory"/>: one environment per project
    /// directory, like a compose project, and never anything in the home directory unasked.
    /// </summary>
    public static string DefaultDataDirectory(string currentDirectory) => Path.Combine(currentDirectory, ".local", "k8sflow-dev");
}

/// <summary>
/// K8sFlow's local environment: the local cluster on 127.0.0.1 with persistence in a data directory,
/// K8sFlow's CRDs installed through the API, and a kubeconfig written only once all of that is ready
/// (and removed again on a clean stop, so the file exists exactly while the environment serves).
/// <c>k8sflow dev</c> runs one until interrupted; <c>k8sflow run</c> and the operator reuse it.
/// </summary>
public sealed class LocalEnvironment : IAsyncDisposable
{
    /// <summary>The field manager of the CRDs this environment installs.</summary>
    public const string FieldManager = "k8sflow-dev";

    private readonly KubeClient _client;
    private int _disposed;

    private LocalEnvironment(LocalClusterServer server, KubeClient client, K8sFlowOperator? @operator, string dataDirectory,
        string kubeconfigPath, IReadOnlyList<CustomResourceDefinition> crds)
    {
        Server = server;
        _client = client;
        Operator = @operator;
        DataDirectory = dataDirectory;
        KubeconfigPath = kubeconfigPath;
        Crds = crds;
    }

    public LocalClusterServer Server { get; }

    /// <summary>The operator running next to the cluster, or null when started without one.</summary>
    public K8sFlowOperator? Operator { get; }

    /// <summary>https://127.0.0.1:PORT/</summary>
    public Uri ServerAddress => Server.BaseAddress;

    /// <summary>Absolute path of the data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Absolute path of the kubeconfig (context <see cref="LocalEnvironmentOptions.ContextName"/>, namespace default).</summary>
    public string KubeconfigPath { get; }

    /// <summary>A client of this cluster (namespace default); owned by the environment.</summary>
    public IKubeClient Client => _client;

    /// <summary>The CRDs installed at start, as the server stored them.</summary>
    public IReadOnlyList<CustomResourceDefinition> Crds { get; }

    public static async Task<LocalEnvironment> StartAsync(LocalEnvironmentOptions options, CancellationToken cancellationToken = default)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        var kubeconfigPath = options.ResolvedKubeconfigPath;
        ClaimKubeconfig(kubeconfigPath);
        PrepareDataDirectory(dataDirectory);

        var clusterOptions = new LocalClusterOptions
        {
            Port = options.Port,
            DataDirectory = dataDirectory,
            ContextName = LocalEnvironmentOptions.ContextName,
            KubeconfigPath = null,
            JobRunner = options.JobRunner == JobRunnerMode.Off ? JobRunnerOptions.Disabled : new JobRunnerOptions { Mode = options.JobRunner, HostMounts = options.HostMounts },
        };
        var server = await LocalClusterServer.StartAsync(options.ConfigureCluster?.Invoke(clusterOptions) ?? clusterOptions, cancellationToken);
        KubeClient? client = null;
        K8sFlowOperator? @operator = null;
        try
        {
            client = KubeClient.Create(ConnectionTo(server), new KubeClientOptions { FieldManager = FieldManager });
            var crds = await CrdInstaller.InstallAsync(client, FieldManager, cancellationToken: cancellationToken);
            if (options.RunOperator)
            {
                @operator = K8sFlowOperator.Start(client, new OperatorOptions { LeaderElection = new LeaderElectionSettings { Enabled = false } },
                    new OperatorServices { LoggerFactory = options.Loggers ?? NullLoggerFactory.Instance },
                    CancellationToken.None); // lives until the environment is disposed, not until start-up ends
                await @operator.WaitUntilLeadingAsync(cancellationToken);
            }
            await server.WriteKubeconfigAsync(kubeconfigPath, cancellationToken);
            return new LocalEnvironment(server, client, @operator, dataDirectory, kubeconfigPath, crds);
        }
        catch
        {
            if (@operator is not null)
            {
                await @operator.DisposeAsync();
            }
            client?.Dispose();
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops serving (open watches end), saves the objects to the data directory and removes the kubeconfig.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (Operator is not null)
        {
            await Operator.DisposeAsync();
        }
        _client.Dispose();
        await Server.DisposeAsync();
        RemoveIfOurs(KubeconfigPath);
    }

    /// <summary>The connection a kubeconfig of this server describes, without reading one back.</summary>
    private static ClusterConnection ConnectionTo(LocalClusterServer server) => new()
    {
        Server = server.BaseAddress,
        Credentials = StaticCredentials.BearerToken(server.Token),
        CertificateAuthorities = server.CertificateAuthorityPem is { } pem ? [X509Certificate2.CreateFromPem(pem)] : null,
        Source = "k8sflow dev",
    };

    private static void PrepareDataDirectory(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        // The directory holds a token and the cluster's objects: keep it out of version control, as a venv does.
        var gitignore = Path.Combine(dataDirectory, ".gitignore");
        if (!File.Exists(gitignore))
        {
            File.WriteAllText(gitignore, "# Written by k8sflow dev: local state, never commit it.\n*\n");
        }
    }

    /// <summary>
    /// Makes way for this run's kubeconfig: one left by an earlier run is removed (it would announce a
    /// server that is not serving yet); any other file there is refused, since the whole file is replaced.
    /// </summary>
    private static void ClaimKubeconfig(string kubeconfigPath)
    {
        if (File.Exists(kubeconfigPath) && !RemoveIfOurs(kubeconfigPath))
        {
            throw new LocalEnvironmentException(
                $"'{kubeconfigPath}' is a kubeconfig k8sflow dev did not write (it holds other contexts or is not a kubeconfig); " +
                "the dev environment replaces the whole file, so name another path with --kubeconfig.");
        }
    }

    /// <summary>Deletes the kubeconfig if it is one this environment writes (its single context); true when it is gone.</summary>
    private static bool RemoveIfOurs(string kubeconfigPath)
    {
        if (!File.Exists(kubeconfigPath))
        {
            return true;
        }
        try
        {
            if (!KubeConfig.LoadFile(kubeconfigPath).Contexts.Keys.SequenceEqual([LocalEnvironmentOptions.ContextName]))
            {
                return false;
            }
        }
        catch (KubeConfigException)
        {
            return false;
        }
        File.Delete(kubeconfigPath);
        return true;
    }
}

/// <summary>The local environment cannot start as asked; the message names the culprit and what to do.</summary>
public sealed class LocalEnvironmentException(string message) : Exception(message);
