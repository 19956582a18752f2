using K8sFlow.Operator.Queue;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>Settings of the <see cref="DagController"/>.</summary>
public sealed record DagControllerOptions
{
    /// <summary>Reconciles running at once (different Dags; one Dag is never reconciled twice at once).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Backoff of failed reconciles.</summary>
    public WorkQueueOptions Queue { get; init; } = new();

    /// <summary>
    /// At most this many scheduled runs are created per Dag per reconcile (spec §1.4's catch-up cap): a Dag
    /// with a 10-year backlog cannot flood the API server. The rest follow in the next passes, at once.
    /// </summary>
    public int MaxRunsPerPass { get; init; } = 100;

    /// <summary>How many upcoming runs <c>status.nextRuns</c> lists.</summary>
    public int UpcomingRuns { get; init; } = 3;

    /// <summary>
    /// How long a DagRun this controller created counts as existing while the DagRun informer has not
    /// shown it yet (client-go's "expectations"). Covers the gap between a create and its watch event, so a
    /// pass in between never creates an @continuous run twice; after it, a run deleted unseen is forgotten.
    /// </summary>
    public TimeSpan UnseenRunTimeout { get; init; } = TimeSpan.FromMinutes(5);

    internal void Validate()
    {
        if (Workers < 1)
        {
            throw new ArgumentException($"DagControllerOptions.Workers must be at least 1 (got {Workers}).");
        }
        if (MaxRunsPerPass < 1)
        {
            throw new ArgumentException($"DagControllerOptions.MaxRunsPerPass must be at least 1 (got {MaxRunsPerPass}).");
        }
        if (UpcomingRuns < 0)
        {
            throw new ArgumentException($"DagControllerOptions.UpcomingRuns must not be negative (got {UpcomingRuns}).");
        }
        if (UnseenRunTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"DagControllerOptions.UnseenRunTimeout must be positive (got {UnseenRunTimeout}).");
        }
    }
}
