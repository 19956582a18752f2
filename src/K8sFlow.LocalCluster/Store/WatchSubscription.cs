using System.Threading.Channels;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Store;

/// <summary>
/// A live watch on the store. Read <see cref="Events"/> until it completes; it completes when the
/// subscription is disposed, when an ERROR was sent, or when the reader fell further behind than
/// the buffer allows (<see cref="Overflowed"/>): then watch again from the last version seen.
/// </summary>
public sealed class WatchSubscription : IDisposable
{
    private readonly ClusterStore _store;
    private readonly Channel<WatchEvent> _channel;
    private bool _closed;
    private volatile bool _dropped;

    private readonly bool _sharedObjects;

    internal WatchSubscription(ClusterStore store, ObjectFilter filter, int capacity, bool sharedObjects = false)
    {
        _store = store;
        Filter = filter;
        _sharedObjects = sharedObjects;
        _channel = Channel.CreateBounded<WatchEvent>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    internal ObjectFilter Filter { get; }

    public ChannelReader<WatchEvent> Events => _channel.Reader;

    /// <summary>True when the stream ended because the reader fell behind.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>
    /// True when <see cref="ClusterStore.DropWatches"/> cut the stream: the reader stops at once, even
    /// with events still queued, as a lost connection would (the HTTP API aborts the connection).
    /// </summary>
    public bool Dropped => _dropped;

    public IAsyncEnumerable<WatchEvent> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Queues a BOOKMARK carrying the store's current resourceVersion, in order with the other events.</summary>
    public void RequestBookmark() => _store.EmitBookmark(this);

    public void Dispose() => _store.Unsubscribe(this);

    /// <summary>Delivers a change as this watcher sees it (an object leaving the selection is DELETED); false when closed.</summary>
    internal bool Offer(ChangeEvent change)
    {
        if (change.Resource != Filter.Definition.Ref)
        {
            return true;
        }
        var now = Filter.Matches(change.Object);
        var before = change.Previous is not null && Filter.Matches(change.Previous);
        WatchEventType? type = change.Type switch
        {
            WatchEventType.Added when now => WatchEventType.Added,
            WatchEventType.Modified when now && before => WatchEventType.Modified,
            WatchEventType.Modified when now => WatchEventType.Added,
            WatchEventType.Modified when before => WatchEventType.Deleted,
            WatchEventType.Deleted when now || before => WatchEventType.Deleted,
            _ => null,
        };
        return type is null || Write(new WatchEvent(type.Value, _sharedObjects ? change.SharedCopy() : KubeJson.CloneObject(change.Object)));
    }

    internal bool Write(WatchEvent watchEvent)
    {
        if (_closed)
        {
            return false;
        }
        if (_channel.Writer.TryWrite(watchEvent))
        {
            return true;
        }
        Overflowed = true;
        Complete();
        return false;
    }

    internal void Drop()
    {
        _dropped = true;
        Complete();
    }

    internal void Complete()
    {
        _closed = true;
        _channel.Writer.TryComplete();
    }
}
