using K8sFlow.Core;
using K8sFlow.Core.Api;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>
/// What the Dag controller needs to know about a Dag's runs: all runs whose <c>spec.dagName</c> names it
/// (<see cref="Hosting.OperatorCache.RunsOf"/>), so a hand-written manual run without labels counts too.
/// </summary>
/// <param name="NewestScheduledLogicalDate">Logical date of the newest scheduled run (manual and backfill runs do not move the schedule).</param>
/// <param name="ActiveRun">A run of any type that has not finished yet (for @continuous), or null.</param>
/// <param name="NewestCreation">When the newest run of any type was created.</param>
internal sealed record DagRunsOfDag(DateTimeOffset? NewestScheduledLogicalDate, DagRun? ActiveRun, DateTimeOffset? NewestCreation)
{
    public static DagRunsOfDag Of(IEnumerable<DagRun> runs)
    {
        DateTimeOffset? newestScheduled = null;
        DateTimeOffset? newestCreation = null;
        DagRun? active = null;
        foreach (var run in runs)
        {
            if (run.Spec.RunType == Names.RunTypes.Scheduled && run.Spec.LogicalDate is { } logicalDate)
            {
                newestScheduled = Max(newestScheduled, logicalDate);
            }
            newestCreation = Max(newestCreation, run.Metadata.CreationTimestamp);
            if (IsActive(run) && (active is null || string.CompareOrdinal(run.Metadata.Name, active.Metadata.Name) < 0))
            {
                active = run;
            }
        }
        return new DagRunsOfDag(newestScheduled, active, newestCreation);
    }

    /// <summary>
    /// Not finished and not being deleted. A run without a status has just been created and counts as
    /// active: the DagRun controller has not picked it up yet.
    /// </summary>
    public static bool IsActive(DagRun run) =>
        run.Metadata.DeletionTimestamp is null && run.Status?.Phase is not (RunPhase.Succeeded or RunPhase.Failed);

    public static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;
}
