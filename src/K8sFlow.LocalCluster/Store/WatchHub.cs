namespace K8sFlow.LocalCluster.Store;

/// <summary>
/// The bounded history of changes (so watches can resume from a resourceVersion) and the fan-out
/// to live subscriptions. Used only under the store's lock.
/// </summary>
internal sealed class WatchHub(int historyWindow)
{
    private readonly Queue<ChangeEvent> _history = new();
    private readonly List<WatchSubscription> _subscribers = [];

    /// <summary>Changes at or below this version may have left the window: resuming from older versions is expired.</summary>
    public long Floor { get; private set; }

    public void Reset(long floor)
    {
        _history.Clear();
        Floor = floor;
    }

    public void Publish(ChangeEvent change)
    {
        _history.Enqueue(change);
        while (_history.Count > historyWindow)
        {
            Floor = _history.Dequeue().ResourceVersion;
        }
        foreach (var subscriber in _subscribers.ToArray())
        {
            if (!subscriber.Offer(change))
            {
                _subscribers.Remove(subscriber);
            }
        }
        change.ReleaseSharedCopy(); // the history keeps the change, not a second copy of its object
    }

    /// <summary>The changes after <paramref name="resourceVersion"/>, or null when some have left the window.</summary>
    public IReadOnlyList<ChangeEvent>? Since(long resourceVersion) =>
        resourceVersion < Floor ? null : _history.Where(c => c.ResourceVersion > resourceVersion).ToList();

    public void Add(WatchSubscription subscription) => _subscribers.Add(subscription);

    public void Remove(WatchSubscription subscription) => _subscribers.Remove(subscription);

    public int SubscriberCount => _subscribers.Count;

    public void CompleteAll()
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber.Complete();
        }
        _subscribers.Clear();
    }

    public void DropAll()
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber.Drop();
        }
        _subscribers.Clear();
    }
}
