namespace K8sFlow.Operator.Queue;

/// <summary>What the work queue does with a key after it was processed.</summary>
public enum RequeueKind
{
    /// <summary>Nothing more to do until an event arrives; the key's error backoff resets.</summary>
    Done,

    /// <summary>Process again after <see cref="ReconcileResult.Delay"/> (a retry delay, a timeout); backoff resets.</summary>
    After,

    /// <summary>Process again at once: the write lost a race (409 Conflict) and the cache will catch up.</summary>
    Now,

    /// <summary>Process again after the key's exponential backoff: something failed.</summary>
    Backoff,
}

/// <summary>The outcome of one reconcile, as the work queue needs it.</summary>
public sealed record ReconcileResult(RequeueKind Kind, TimeSpan? Delay = null, string? Reason = null)
{
    public static ReconcileResult Done { get; } = new(RequeueKind.Done);

    public static ReconcileResult Now(string reason) => new(RequeueKind.Now, null, reason);

    public static ReconcileResult Backoff(string reason) => new(RequeueKind.Backoff, null, reason);

    /// <summary>Requeue after <paramref name="delay"/>; null means <see cref="Done"/>.</summary>
    public static ReconcileResult After(TimeSpan? delay) => delay is { } d ? new(RequeueKind.After, d) : Done;
}
