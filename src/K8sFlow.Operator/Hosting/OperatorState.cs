namespace K8sFlow.Operator.Hosting;

/// <summary>What /readyz reports: ready once the informer caches are synced, leading or standing by.</summary>
public sealed class OperatorState
{
    private volatile bool _synced;
    private volatile bool _leading;
    private volatile string? _leader;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public OperatorState(string identity, bool leaderElection)
    {
        Identity = identity;
        LeaderElection = leaderElection;
    }

    /// <summary>This instance's leader-election identity.</summary>
    public string Identity { get; }

    public bool LeaderElection { get; }

    /// <summary>Every informer listed its objects once: the caches can be trusted.</summary>
    public bool InformersSynced => _synced;

    /// <summary>This instance runs the controllers.</summary>
    public bool IsLeader => _leading;

    /// <summary>The lease holder last seen (this instance when leading; null without leader election).</summary>
    public string? Leader => _leader;

    public bool IsReady => _synced;

    /// <summary>Completes once the caches are synced.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>One line for /readyz, e.g. "ready: leading" or "ready: standby (leader: pod-a)".</summary>
    public string Describe()
    {
        if (!_synced)
        {
            return "not ready: informer caches are syncing";
        }
        if (_leading)
        {
            return LeaderElection ? $"ready: leading as {Identity}" : "ready: leading (leader election off)";
        }
        return $"ready: standby (leader: {_leader ?? "none yet"})";
    }

    internal void MarkSynced()
    {
        _synced = true;
        _ready.TrySetResult();
    }

    internal void SetLeading(bool leading) => _leading = leading;

    internal void SetLeader(string? leader) => _leader = leader;
}
