using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.Cli.Local;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster.JobRunner;

namespace K8sFlow.Cli.Tests.Day2;

/// <summary>
/// A simulated local environment (cluster, job runner, operator in this process) for the day-2 commands, which the
/// tests run in-process with <c>--kubeconfig</c> pointing at it. Task outcomes come from the callback given to <see cref="StartAsync"/>.
/// </summary>
internal sealed class Day2Environment : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private readonly string _root;
    private readonly LocalEnvironment _environment;

    private Day2Environment(string root, LocalEnvironment environment)
    {
        _root = root;
        _environment = environment;
    }

    public IKubeClient Client => _environment.Client;

    public string KubeconfigPath => _environment.KubeconfigPath;

    public const string Namespace = "default";

    /// <summary>
    /// Starts an environment whose simulated tasks end as <paramref name="outcome"/> says for (task, try number);
    /// null: exit 0 with one log line naming the task and try.
    /// </summary>
    public static async Task<Day2Environment> StartAsync(Func<string, int, SimulatedOutcome?>? outcome = null)
    {
        var root = Directory.CreateTempSubdirectory("k8sflow-day2-tests-").FullName;
        var environment = await LocalEnvironment.StartAsync(new LocalEnvironmentOptions
        {
            DataDirectory = root,
            JobRunner = JobRunnerMode.Simulated,
            ConfigureCluster = cluster => cluster with
            {
                JobRunner = cluster.JobRunner with
                {
                    Mode = JobRunnerMode.Simulated,
                    FailedPodBackoff = TimeSpan.Zero,
                    Simulate = pod => Simulate(pod, outcome),
                },
            },
        }, Deadline());
        return new Day2Environment(root, environment);
    }

    public static CancellationToken Deadline() => new CancellationTokenSource(WaitLimit).Token;

    /// <summary>Runs one k8sflow command line against this environment (off the test's thread: commands block).</summary>
    public Task<CliRunner.Outcome> CliAsync(params string[] args) =>
        Task.Run(() => CliRunner.Run([.. args, "--kubeconfig", KubeconfigPath]));

    public Task<Dag> CreateDagAsync(Dag dag) => Client.CreateAsync(KubeKinds.Dag, dag with
    {
        Metadata = dag.Metadata with { Namespace = Namespace },
    }, cancellationToken: Deadline());

    public Task<DagRun> GetRunAsync(string name) => Client.GetAsync(KubeKinds.DagRun, Namespace, name, Deadline());

    public async Task<IReadOnlyList<DagRun>> RunsAsync(string dagName) =>
        [.. (await Client.ListAsync(KubeKinds.DagRun, Namespace, cancellationToken: Deadline())).Items.Where(r => r.Spec.DagName == dagName)];

    /// <summary>
    /// Waits (bounded by <see cref="WaitLimit"/>, driven by watch events, no polling) until <paramref name="done"/>
    /// holds for the namespace's objects of <paramref name="kind"/>; returns them.
    /// </summary>
    public async Task<IReadOnlyList<T>> WaitForAsync<T>(ResourceKind<T> kind, Func<IReadOnlyList<T>, bool> done, string what)
        where T : KubernetesObject
    {
        var deadline = Deadline();
        try
        {
            while (true)
            {
                var list = await Client.ListAsync(kind, Namespace, cancellationToken: deadline);
                if (done(list.Items))
                {
                    return list.Items;
                }
                var watch = new WatchOptions { ResourceVersion = list.Metadata.ResourceVersion, TimeoutSeconds = 30 };
                // The next event (or the watch's end) means something changed: list again.
                await using var changes = Client.WatchAsync(kind, Namespace, watch, deadline).GetAsyncEnumerator(deadline);
                await changes.MoveNextAsync();
            }
        }
        catch (OperationCanceledException)
        {
            var now = await Client.ListAsync(kind, Namespace, cancellationToken: CancellationToken.None);
            throw new TimeoutException($"timed out after {WaitLimit} waiting for {what}; {kind.Plural} now: " +
                string.Join(", ", now.Items.Select(i => i.Metadata.Name)));
        }
    }

    public async Task<DagRun> WaitForRunAsync(string name, Func<DagRun, bool> done, string what) =>
        (await WaitForAsync(KubeKinds.DagRun, runs => runs.Any(r => r.Metadata.Name == name && done(r)), $"{name}: {what}"))
            .Single(r => r.Metadata.Name == name);

    public async ValueTask DisposeAsync()
    {
        await _environment.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>A Dag of simulated tasks: each named task depends on the one before it.</summary>
    public static Dag ChainDag(string name, params string[] tasks) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = new DagSpec
        {
            Defaults = new TaskDefaults { Image = "busybox:1.36", RetryDelay = "0s" },
            Tasks = [.. tasks.Select((task, i) => new TaskSpec
            {
                Name = task,
                Command = ["true"],
                DependsOn = i == 0 ? null : [tasks[i - 1]],
            })],
        },
    };

    private static SimulatedOutcome? Simulate(JsonObject pod, Func<string, int, SimulatedOutcome?>? outcome)
    {
        var labels = pod["metadata"]?["labels"];
        var task = labels?[K8sFlowApi.Labels.Task]?.GetValue<string>() ?? "";
        var tryNumber = int.Parse(labels?[K8sFlowApi.Labels.TryNumber]?.GetValue<string>() ?? "0", CultureInfo.InvariantCulture);
        return outcome?.Invoke(task, tryNumber) ?? new SimulatedOutcome { LogLines = [$"{task} try {tryNumber} ran"] };
    }
}
