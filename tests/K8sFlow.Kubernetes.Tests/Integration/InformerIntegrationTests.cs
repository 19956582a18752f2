using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>
/// An informer against the local cluster while its watch is cut (<c>DropWatches</c>: the connection
/// dies mid-stream) and while its resume version expires (410): the cache must end equal to the
/// server's state, and without a re-list every change must arrive exactly once, in order.
/// </summary>
public sealed class InformerIntegrationTests
{
    private const string Ns = "informed";

    private static readonly InformerOptions Options = new()
    {
        Namespace = Ns,
        MinBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>The informer's own client counts its requests; the writer and the checks use the cluster's other client.</summary>
    private sealed record Harness(LiveCluster Cluster, KubeRequestCounter Requests, Informer<ConfigMap> Informer,
        DeliveryRecorder Recorder, ChangeWriter Writer, CancellationTokenSource Stop, Task Running) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running.Within();
            Stop.Dispose();
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A synced informer on an empty namespace whose watch is live (it delivered a first change).</summary>
    private static async Task<Harness> StartAsync(Func<LocalClusterOptions, LocalClusterOptions>? configure = null, WatchGate? gate = null)
    {
        var cluster = await LiveCluster.StartAsync(configure);
        var requests = new KubeRequestCounter();
        var informerClient = cluster.NewClient(new KubeClientOptions { RequestObserver = requests },
            gate is null ? null : handler => { gate.InnerHandler = handler; return gate; });
        await cluster.CreateNamespaceAsync(Ns);
        var informer = new Informer<ConfigMap>(informerClient, KubeKinds.ConfigMap, Options);
        var recorder = new DeliveryRecorder();
        informer.AddHandler(recorder.Handler);
        var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(Live.Token());
        var writer = new ChangeWriter(cluster.Client, Ns);
        await writer.CreateAsync("warm-up");
        await recorder.WaitForCountAsync(1).Within();
        return new Harness(cluster, requests, informer, recorder, writer, stop, running);
    }

    private static async Task<Dictionary<string, string>> ServerStateAsync(IKubeClient client) =>
        (await client.ListAsync(KubeKinds.ConfigMap, Ns, cancellationToken: Live.Token())).Items
            .ToDictionary(c => c.Metadata.Name!, c => c.Metadata.ResourceVersion!);

    private static Dictionary<string, string> CacheState(Informer<ConfigMap> informer) =>
        informer.List().ToDictionary(c => c.Metadata.Name!, c => c.Metadata.ResourceVersion!);

    [Fact]
    public async Task WatchDroppedMidStream_WhileObjectsChange_InformerResumesAndDeliversEveryChangeOnceInOrder()
    {
        await using var h = await StartAsync();
        const int rounds = 3;

        for (var round = 0; round < rounds; round++)
        {
            // Changes in flight when the connection dies, and more while the informer reconnects.
            await h.Writer.ChurnAsync(6);
            h.Cluster.Server.Store.DropWatches();
            await h.Writer.ChurnAsync(6);
            await h.Recorder.WaitForCountAsync(h.Writer.Changes.Count).Within();
        }

        var delivered = h.Recorder.Deliveries;
        delivered.Select(d => new Change(d.Type, d.Name, d.Type == WatchEventType.Deleted ? null : d.Rv))
            .Should().Equal(h.Writer.Changes, "every change arrives exactly once, in the order it was made");
        delivered.Select(d => long.Parse(d.Rv)).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        delivered.Where(d => d.Type == WatchEventType.Modified).Should().OnlyContain(
            d => d.OldRv == delivered.Last(p => p.Name == d.Name && long.Parse(p.Rv) < long.Parse(d.Rv)).Rv,
            "each update's old object is the previous version delivered");
        CacheState(h.Informer).Should().Equal(await ServerStateAsync(h.Cluster.Client));
        h.Requests.Count(KubeVerb.Watch).Should().BeGreaterThanOrEqualTo(1 + rounds, "each drop cut a live watch that had to be reopened");
        h.Requests.Count(KubeVerb.List).Should().Be(1, "resuming from the last version seen needs no re-list");
    }

    [Fact]
    public async Task ResumeVersionExpired_InformerRelists_AndDeliversExactlyWhatChangedWhileAway()
    {
        var gate = new WatchGate();
        await using var h = await StartAsync(o => o with { Store = o.Store with { HistoryWindow = 8 } }, gate);
        await h.Writer.ChurnAsync(4);
        await h.Recorder.WaitForCountAsync(h.Writer.Changes.Count).Within();
        var before = h.Recorder.State;

        // Cut the watch and hold the informer's next watch back while more changes than the history keeps happen.
        gate.Close();
        h.Cluster.Server.Store.DropWatches();
        await gate.WatchHeldAsync().Within();
        await h.Writer.ChurnAsync(12);
        var after = await ServerStateAsync(h.Cluster.Client);
        var deliveredBefore = h.Recorder.Deliveries.Count;
        gate.Open();
        await h.Recorder.WaitForStateAsync(after).Within();

        h.Requests.Count(KubeVerb.List).Should().Be(2, "the expired resume version (410) forced exactly one re-list");
        CacheState(h.Informer).Should().Equal(after);
        var differences = before.Keys.Union(after.Keys)
            .Where(name => before.GetValueOrDefault(name) != after.GetValueOrDefault(name))
            .Select(name => (before.TryGetValue(name, out var oldRv), after.TryGetValue(name, out var newRv)) switch
            {
                (false, true) => new DeliveryRecorder.Delivery(WatchEventType.Added, name, newRv!, null),
                (true, true) => new DeliveryRecorder.Delivery(WatchEventType.Modified, name, newRv!, oldRv),
                _ => new DeliveryRecorder.Delivery(WatchEventType.Deleted, name, oldRv!, null),
            });
        h.Recorder.Deliveries.Skip(deliveredBefore).Should().BeEquivalentTo(differences,
            "the re-list reports each object that differs once: added, updated (from the last version seen) or deleted");
    }
}
