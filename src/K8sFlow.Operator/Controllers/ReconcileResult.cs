namespace K8sFlow.Operator.Controllers;

/// <summary>
/// What one reconcile asks of the work queue. <see cref="Done"/>: nothing until the next watch event;
/// <see cref="RequeueAfter"/>: another pass after a delay (e.g. when the next schedule point is due);
/// <see cref="Retry"/>: the pass failed (API error, stale write) and should run again with the queue's
/// per-key backoff.
/// </summary>
public sealed record ReconcileResult
{
    private ReconcileResult(TimeSpan? delay, string? retryReason)
    {
        Delay = delay;
        RetryReason = retryReason;
    }

    /// <summary>Requeue after this delay (zero: at once); null when nothing is scheduled.</summary>
    public TimeSpan? Delay { get; }

    /// <summary>Why the pass must be retried; null when it succeeded.</summary>
    public string? RetryReason { get; }

    public bool IsRetry => RetryReason is not null;

    public static ReconcileResult Done { get; } = new(null, null);

    /// <summary>Reconcile again after <paramref name="delay"/>; a negative delay means at once.</summary>
    public static ReconcileResult RequeueAfter(TimeSpan delay) => new(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, null);

    public static ReconcileResult Retry(string reason) => new(null, reason);

    public override string ToString() => IsRetry
        ? $"retry: {RetryReason}"
        : Delay is { } delay ? $"requeue after {delay}" : "done";
}
