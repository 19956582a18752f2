using System.Collections.Concurrent;
using K8sFlow.Cli.Local;
using K8sFlow.Tests.Shared;

namespace K8sFlow.Cli.Tests.Dev;

/// <summary>
/// A temporary directory for one test: a data directory for <see cref="LocalEnvironment"/>, kubectl's
/// HOME, and the requests the environment's server saw (shown when kubectl fails).
/// </summary>
internal sealed class DevDirectory : IKubectlTarget, IDisposable
{
    private readonly ConcurrentQueue<string> _requests = new();

    public string Root { get; } = Directory.CreateTempSubdirectory("k8sflow-dev-tests-").FullName;

    public string DataDirectory => Path.Combine(Root, "data");

    public string KubeconfigPath => Path.Combine(DataDirectory, "kubeconfig");

    public string HomeDirectory => Path.Combine(Root, "home");

    public LocalEnvironmentOptions Options => new()
    {
        DataDirectory = DataDirectory,
        ConfigureCluster = cluster => cluster with { RequestLog = entry => _requests.Enqueue(entry.ToString()) },
    };

    public Task<LocalEnvironment> StartAsync() => LocalEnvironment.StartAsync(Options, new CancellationTokenSource(Kubectl.RunTimeout).Token);

    public string Diagnostics() => "requests:\n" + string.Join("\n", _requests);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a kubectl child may still hold a file.
        }
    }
}
