using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Core.Crds;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Tests.Support;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Tests.Fakes;
using K8sFlow.Tests.Shared;

namespace K8sFlow.Operator.IntegrationTests.Support;

/// <summary>
/// The production operator against the local cluster over real HTTPS: a <see cref="LocalClusterServer"/> with a
/// kubeconfig and the simulated job runner (<see cref="SimulatedTasks"/> decides how pods end), the Dag and DagRun
/// CRDs created through the API from Core's <see cref="CrdGenerator"/>, operators started with
/// <see cref="K8sFlowOperator.Start"/> on their own kubeconfig clients (as separate processes would be), and a
/// <see cref="ClusterView"/> to wait on. Every object lives in the namespace <see cref="Ns"/>.
/// </summary>
public sealed class OperatorCluster : IAsyncDisposable
{
    /// <summary>The bound of every wait: generous, the machine is shared and loaded.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public const string Ns = TestObjects.Ns;

    private readonly List<(K8sFlowOperator Instance, KubeClient Client)> _operators = [];
    private int _started;

    private OperatorCluster(TestCluster cluster, SimulatedTasks tasks, RecentLogs logs, KubeClient client, ClusterView view)
    {
        Cluster = cluster;
        Tasks = tasks;
        Logs = logs;
        Client = client;
        View = view;
        // Waits on operator state (IsLeader...) wake up on log lines as well as on watch events.
        logs.Added += view.Changed;
    }

    public TestCluster Cluster { get; }
    public SimulatedTasks Tasks { get; }
    public RecentLogs Logs { get; }

    /// <summary>The test's own client (from the server's kubeconfig).</summary>
    public KubeClient Client { get; }

    public ClusterView View { get; }

    /// <summary>A cluster with the CRDs installed and no operator yet.</summary>
    public static async Task<OperatorCluster> StartAsync(SimulatedTasks? tasks = null)
    {
        // A held simulated task blocks a job runner thread (see TaskHold): keep the pool from starving meanwhile.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), completionPorts);
        tasks ??= new SimulatedTasks();
        var logs = new RecentLogs();
        ClusterView? view = null;
        var cluster = await TestCluster.StartAsync(options => options with
        {
            JobRunner = new JobRunnerOptions { Mode = JobRunnerMode.Simulated, Simulate = tasks.Decide, Log = line => logs.Add("runner", line) },
            // The server logs a request just after answering it: waits on request counts wake up then.
            RequestLog = options.RequestLog + (_ => view?.Changed()),
        });
        KubeClient? client = null;
        try
        {
            client = CreateClient(cluster);
            await InstallCrdsAsync(client);
            await client.CreateAsync(KubeKinds.Namespace, new Namespace { Metadata = new ObjectMeta { Name = Ns } });
            view = await ClusterView.StartAsync(client, Ns);
            return new OperatorCluster(cluster, tasks, logs, client, view);
        }
        catch
        {
            client?.Dispose();
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client as any program gets one: from the server's kubeconfig file (through <paramref name="network"/> when given).</summary>
    public static KubeClient CreateClient(TestCluster cluster, NetworkPartition? network = null)
    {
        var connection = KubeConfig.LoadFile(cluster.KubeconfigPath).ToConnection();
        if (network is null)
        {
            return KubeClient.Create(connection);
        }
        network.InnerHandler = connection.CreateHandler();
        var http = new HttpClient(network) { BaseAddress = connection.Server, Timeout = Timeout.InfiniteTimeSpan };
        return new KubeClient(http, new KubeClientOptions { DefaultNamespace = connection.Namespace });
    }

    /// <summary>Creates the Dag and DagRun CRDs generated from the C# API types, as `kubectl apply -f crds/` would.</summary>
    private static async Task InstallCrdsAsync(IKubeClient client)
    {
        foreach (var definition in CrdGenerator.All)
        {
            var crd = JsonSerializer.SerializeToNode(CrdGenerator.Build(definition))!.Deserialize<CustomResourceDefinition>(KubeJson.Options)!;
            await client.CreateAsync(KubeKinds.CustomResourceDefinition, crd);
        }
    }

    /// <summary>One operator instance without leader election, watching <see cref="Ns"/>, resync off.</summary>
    public static OperatorOptions SingleInstance { get; } = new()
    {
        Namespaces = [Ns],
        Workers = 2,
        ResyncPeriod = null,
        LeaderElection = new LeaderElectionSettings { Enabled = false },
    };

    /// <summary>
    /// Starts an operator on its own client (behind <paramref name="network"/> when given) and waits until its caches
    /// are synced (and, without leader election, until it runs its controllers).
    /// </summary>
    public async Task<K8sFlowOperator> StartOperatorAsync(OperatorOptions? options = null, TimeProvider? time = null, NetworkPartition? network = null)
    {
        options ??= SingleInstance;
        var client = CreateClient(Cluster, network);
        var source = options.LeaderElection.Identity ?? $"operator-{Interlocked.Increment(ref _started)}";
        var instance = K8sFlowOperator.Start(client, options, new OperatorServices
        {
            TimeProvider = time ?? TimeProvider.System,
            LoggerFactory = Logs.For(source),
        });
        lock (_operators)
        {
            _operators.Add((instance, client));
        }
        using var patience = new CancellationTokenSource(Patience);
        await instance.WaitUntilReadyAsync(patience.Token);
        if (!options.LeaderElection.Enabled)
        {
            await instance.WaitUntilLeadingAsync(patience.Token);
        }
        return instance;
    }

    /// <summary>Stops an operator (a leader releases its lease) and closes its connection.</summary>
    public async Task StopOperatorAsync(K8sFlowOperator instance)
    {
        KubeClient client;
        lock (_operators)
        {
            var entry = _operators.Single(o => o.Instance == instance);
            _operators.Remove(entry);
            client = entry.Client;
        }
        await instance.DisposeAsync();
        client.Dispose();
    }

    public Task<Dag> ApplyAsync(Dag dag) =>
        Client.CreateAsync(KubeKinds.Dag, dag with { Metadata = dag.Metadata with { Namespace = Ns } });

    public Task<DagRun> CreateAsync(DagRun run) =>
        Client.CreateAsync(KubeKinds.DagRun, run with { Metadata = run.Metadata with { Namespace = Ns } });

    /// <summary>
    /// The run once <paramref name="condition"/> holds. A run that finishes otherwise fails the wait at once; a
    /// timeout shows the run's status and the recent logs.
    /// </summary>
    public async Task<DagRun> WaitForRunAsync(string name, Func<DagRun, bool> condition, string what)
    {
        DagRun? seen = null;
        try
        {
            // The view watches runs and Jobs on two streams: the answer waits until the view has seen every Job the run names.
            seen = await View.WaitForAsync(() => View.Run(name) is { } run && (condition(run) || IsFinished(run))
                && (run.Status?.Tasks ?? []).All(t => t.Job is null || View.HasSeenJob(t.Job)) ? run : null, $"run {name}: {what}");
            return condition(seen) ? seen : throw new TimeoutException($"run {name} finished {seen.Status?.Phase} without {what}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Describe(seen ?? View.Run(name))}\nlogs:\n{Logs.Tail()}", e);
        }
    }

    public Task<DagRun> WaitForPhaseAsync(string name, RunPhase phase) =>
        WaitForRunAsync(name, r => r.Status?.Phase == phase, $"phase {phase}");

    /// <summary>Waits for a Dag to satisfy <paramref name="condition"/>; a timeout shows its status and the recent logs.</summary>
    public async Task<Dag> WaitForDagAsync(string name, Func<Dag, bool> condition, string what)
    {
        try
        {
            return await View.WaitForAsync(() => View.Dag(name) is { } dag && condition(dag) ? dag : null, $"Dag {name}: {what}");
        }
        catch (TimeoutException e)
        {
            var status = JsonSerializer.Serialize(View.Dag(name)?.Status, KubeJson.Options);
            throw new TimeoutException($"{e.Message}\nstatus: {status}\nlogs:\n{Logs.Tail()}", e);
        }
    }

    /// <summary>The run's tasks by name.</summary>
    public static IReadOnlyDictionary<string, TaskInstanceStatus> TasksOf(DagRun run) =>
        (run.Status?.Tasks ?? []).ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>
    /// How many objects of <paramref name="plural"/> in <see cref="Ns"/> the server created (answered 201) under
    /// <paramref name="api"/>, once that is at least <paramref name="atLeast"/> (the server logs a request just after
    /// answering it, so the count may trail what a watch shows).
    /// </summary>
    public async Task<int> CreatedAsync(string api, string plural, int atLeast)
    {
        var collection = $"{api}/namespaces/{Ns}/{plural}";
        var count = 0;
        await View.WaitForAsync(() => (count = Count()) >= atLeast ? collection : null, $"{atLeast} {plural} created");
        return count;

        int Count()
        {
            lock (Cluster.Requests)
            {
                return Cluster.Requests.Count(r => r.Method == "POST" && r.StatusCode == 201 && r.PathAndQuery.Split('?')[0] == collection);
            }
        }
    }

    /// <summary>Job creates the server answered 201 (an AlreadyExists create is not one), once there are <paramref name="atLeast"/>.</summary>
    public Task<int> JobsCreatedAsync(int atLeast) => CreatedAsync("/apis/batch/v1", "jobs", atLeast);

    /// <summary>DagRun creates the server answered 201, once there are <paramref name="atLeast"/>.</summary>
    public Task<int> DagRunsCreatedAsync(int atLeast) => CreatedAsync($"/apis/{K8sFlowApi.ApiVersion}", K8sFlowApi.DagRunPlural, atLeast);

    public Task<KubectlResult> KubectlAsync(params string[] args) => Kubectl.RunAsync(Cluster, args);

    private static bool IsFinished(DagRun run) => run.Status?.Phase is RunPhase.Succeeded or RunPhase.Failed;

    private static string Describe(DagRun? run) => run is null
        ? "the run does not exist"
        : "status: " + JsonSerializer.Serialize(run.Status, KubeJson.Options);

    public async ValueTask DisposeAsync()
    {
        Tasks.ReleaseAll();
        List<(K8sFlowOperator Instance, KubeClient Client)> running;
        lock (_operators)
        {
            running = [.. _operators];
            _operators.Clear();
        }
        foreach (var (instance, client) in running)
        {
            await instance.DisposeAsync();
            client.Dispose();
        }
        await View.DisposeAsync();
        Client.Dispose();
        await Cluster.DisposeAsync();
    }
}
