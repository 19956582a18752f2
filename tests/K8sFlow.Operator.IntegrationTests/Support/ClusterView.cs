using System.Collections.Concurrent;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.IntegrationTests.Support;

/// <summary>
/// What a test sees of the cluster: its own informers (over HTTPS, like any other client) on the Dags, DagRuns,
/// Jobs and Events of one namespace. Waits re-check their condition on every watch event: no polling, no sleeps.
/// Remembers the uid of every Job it ever saw, so a Job deleted and created again under the same name shows.
/// </summary>
public sealed class ClusterView : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _jobUids = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _namespace;
    private Task _running = Task.CompletedTask;

    private ClusterView(IKubeClient client, string @namespace)
    {
        _namespace = @namespace;
        var options = new InformerOptions { Namespace = @namespace };
        Dags = new Informer<Dag>(client, KubeKinds.Dag, options);
        DagRuns = new Informer<DagRun>(client, KubeKinds.DagRun, options);
        Jobs = new Informer<Job>(client, KubeKinds.Job, options);
        Events = new Informer<Event>(client, KubeKinds.Event, options);
        Dags.AddHandler(new InformerHandler<Dag>(_ => Changed(), (_, _) => Changed(), _ => Changed()));
        DagRuns.AddHandler(new InformerHandler<DagRun>(_ => Changed(), (_, _) => Changed(), _ => Changed()));
        Jobs.AddHandler(new InformerHandler<Job>(SawJob, (_, job) => SawJob(job), _ => Changed()));
        Events.AddHandler(new InformerHandler<Event>(_ => Changed(), (_, _) => Changed(), _ => Changed()));
    }

    public Informer<Dag> Dags { get; }
    public Informer<DagRun> DagRuns { get; }
    public Informer<Job> Jobs { get; }
    public Informer<Event> Events { get; }

    public static async Task<ClusterView> StartAsync(IKubeClient client, string @namespace)
    {
        var view = new ClusterView(client, @namespace);
        var stop = view._stop.Token;
        view._running = Task.WhenAll(view.Dags.RunAsync(stop), view.DagRuns.RunAsync(stop), view.Jobs.RunAsync(stop), view.Events.RunAsync(stop));
        using var patience = new CancellationTokenSource(OperatorCluster.Patience);
        await Task.WhenAll(view.Dags.WaitForSyncAsync(patience.Token), view.DagRuns.WaitForSyncAsync(patience.Token),
            view.Jobs.WaitForSyncAsync(patience.Token), view.Events.WaitForSyncAsync(patience.Token));
        return view;
    }

    public DagRun? Run(string name) => DagRuns.Get(_namespace, name);

    public Dag? Dag(string name) => Dags.Get(_namespace, name);

    /// <summary>The Jobs labelled with run <paramref name="runName"/>, by name.</summary>
    public IReadOnlyList<Job> JobsOf(string runName) =>
        [.. Jobs.List().Where(j => j.Metadata.Labels?.GetValueOrDefault(K8sFlowApi.Labels.DagRun) == runName).OrderBy(j => j.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>The Events about the object named <paramref name="name"/>, oldest first.</summary>
    public IReadOnlyList<Event> EventsOf(string name) =>
        [.. Events.List().Where(e => e.InvolvedObject.Name == name).OrderBy(e => e.Metadata.CreationTimestamp).ThenBy(e => e.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>True once the Job <paramref name="name"/> was seen (it may be gone since).</summary>
    public bool HasSeenJob(string name) => _jobUids.ContainsKey(name);

    /// <summary>Job names seen with more than one uid (deleted and created again).</summary>
    public IReadOnlyList<string> JobsRecreated => [.. _jobUids.Where(e => e.Value.Count > 1).Select(e => e.Key)];

    /// <summary>
    /// Returns <paramref name="probe"/>'s first non-null answer, asked now and after every watch event; throws a
    /// <see cref="TimeoutException"/> naming <paramref name="what"/> after <see cref="OperatorCluster.Patience"/>.
    /// </summary>
    public async Task<T> WaitForAsync<T>(Func<T?> probe, string what) where T : class
    {
        using var patience = new CancellationTokenSource(OperatorCluster.Patience);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }
            if (probe() is { } answer)
            {
                return answer;
            }
            try
            {
                await changed.WaitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"not within {OperatorCluster.Patience.TotalSeconds} s: {what}");
            }
        }
    }

    /// <summary>Wakes the waiters to look again (something outside the watched kinds changed).</summary>
    public void Changed()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    private void SawJob(Job job)
    {
        _jobUids.GetOrAdd(job.Metadata.Name!, _ => new(StringComparer.Ordinal))[job.Metadata.Uid ?? ""] = true;
        Changed();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }
}
