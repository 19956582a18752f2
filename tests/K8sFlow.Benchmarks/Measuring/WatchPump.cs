using System.Threading.Channels;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.Benchmarks.Measuring;

/// <summary>
/// Reads one store watch and hands each event, stamped with the time it was received, to a handler on a separate
/// loop: the reader only stamps and forwards, so a slow handler (a 10,000-task DagRun to diff) never makes the
/// store cut the watch for falling behind, and the stamps stay close to when the store published the change.
/// </summary>
internal sealed class WatchPump : IAsyncDisposable
{
    private readonly WatchSubscription _subscription;
    private readonly Channel<(WatchEvent Event, long ReceivedAt)> _received =
        Channel.CreateUnbounded<(WatchEvent, long)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _reading;
    private readonly Task _handling;

    private WatchPump(WatchSubscription subscription, string what, TimeProvider time, Action<WatchEvent, long> handle)
    {
        _subscription = subscription;
        What = what;
        _reading = Task.Run(() => ReadAsync(time));
        _handling = Task.Run(() => HandleAsync(handle));
    }

    /// <summary>What is watched, for messages: "dagruns.k8sflow.io in bench".</summary>
    public string What { get; }

    /// <summary>Set when the watch ended before the pump was disposed (the measurer then missed events).</summary>
    public string? Failure { get; private set; }

    public static WatchPump Start(ClusterStore store, ResourceRef resource, string ns, TimeProvider time, Action<WatchEvent, long> handle)
    {
        var subscription = store.Watch(resource, ns, new WatchOptions { SharedObjects = true }).Unwrap();
        return new WatchPump(subscription, $"{resource} in {ns}", time, handle);
    }

    private async Task ReadAsync(TimeProvider time)
    {
        await foreach (var watchEvent in _subscription.ReadAllAsync())
        {
            _received.Writer.TryWrite((watchEvent, time.GetTimestamp()));
        }
        if (_subscription.Overflowed)
        {
            Failure = $"the watch on {What} fell behind and was cut: events were lost";
        }
        _received.Writer.TryComplete();
    }

    private async Task HandleAsync(Action<WatchEvent, long> handle)
    {
        await foreach (var (watchEvent, receivedAt) in _received.Reader.ReadAllAsync())
        {
            handle(watchEvent, receivedAt);
        }
    }

    /// <summary>Waits until every event received so far has been handled.</summary>
    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        await _reading;
        await _handling;
    }
}
