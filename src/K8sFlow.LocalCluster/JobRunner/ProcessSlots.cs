namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// The process limit: pods take slots in arrival order (first come, first served; a big pod at the
/// head waits rather than being overtaken forever).
/// </summary>
internal sealed class ProcessSlots(int capacity)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(int Count, TaskCompletionSource Granted)> _waiting = [];
    private int _free = Math.Max(1, capacity);

    public int Capacity { get; } = Math.Max(1, capacity);

    /// <summary>Takes <paramref name="count"/> slots now if nobody is waiting and enough are free.</summary>
    public bool TryAcquire(int count)
    {
        count = Math.Min(count, Capacity);
        lock (_gate)
        {
            if (_waiting.Count > 0 || _free < count)
            {
                return false;
            }
            _free -= count;
            return true;
        }
    }

    /// <summary>Waits in line for <paramref name="count"/> slots.</summary>
    public async Task AcquireAsync(int count, CancellationToken cancellationToken)
    {
        count = Math.Min(count, Capacity);
        LinkedListNode<(int, TaskCompletionSource)> node;
        lock (_gate)
        {
            if (_waiting.Count == 0 && _free >= count)
            {
                _free -= count;
                return;
            }
            node = _waiting.AddLast((count, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }
        try
        {
            await node.Value.Item2.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    GrantWaiting();
                    throw;
                }
            }
            // Granted while being cancelled: give the slots back.
            Release(count);
            throw;
        }
    }

    public void Release(int count)
    {
        count = Math.Min(count, Capacity);
        lock (_gate)
        {
            _free += count;
            GrantWaiting();
        }
    }

    private void GrantWaiting()
    {
        while (_waiting.First is { } head && _free >= head.Value.Count)
        {
            _waiting.RemoveFirst();
            _free -= head.Value.Count;
            head.Value.Granted.TrySetResult();
        }
    }
}
