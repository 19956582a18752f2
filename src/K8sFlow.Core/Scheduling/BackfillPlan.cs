using K8sFlow.Core.Api;

namespace K8sFlow.Core.Scheduling;

/// <summary>Which existing runs a backfill re-runs (spec §1.7); <see cref="ReprocessModes.Parse"/> is the one place for the names.</summary>
public enum Reprocess
{
    /// <summary>Skip every date that already has a run (the default).</summary>
    None,

    /// <summary>Re-run dates whose run Failed.</summary>
    Failed,

    /// <summary>Re-run dates whose run Failed or Succeeded.</summary>
    Completed,
}

public static class ReprocessModes
{
    public static IReadOnlyList<string> Names { get; } = ["none", "failed", "completed"];

    public static Reprocess? Parse(string? text) => text switch
    {
        null or "" or "none" => Reprocess.None,
        "failed" => Reprocess.Failed,
        "completed" => Reprocess.Completed,
        _ => null,
    };
}

/// <summary>An existing run of the Dag, as the backfill rules need it.</summary>
public sealed record ExistingRun(string Name, DateTimeOffset LogicalDate, RunPhase? Phase);

/// <summary>What a backfill does for one date.</summary>
/// <param name="Run">The date's backfill run (name via <see cref="PlannedRun.DagRunName"/>).</param>
/// <param name="Create">True: create the backfill run; false: leave the date alone (<paramref name="Reason"/> says why).</param>
/// <param name="Replaces">An earlier run to delete first because it holds the backfill run's name.</param>
/// <param name="Reason">Why the date is (re-)run or left alone, for the command's report.</param>
public sealed record BackfillDate(PlannedRun Run, bool Create, string? Replaces, string Reason);

/// <summary>
/// The backfill rules of spec §1.7: one run per date of <see cref="Timetable.Backfill"/>; a date that already has a run is
/// skipped unless <see cref="Reprocess"/> selects that run's phase; a date whose run is queued or running is never re-run.
/// </summary>
public static class BackfillPlan
{
    public static IReadOnlyList<BackfillDate> Plan(string dagName, IReadOnlyList<PlannedRun> dates, IReadOnlyList<ExistingRun> existing,
        Reprocess reprocess)
    {
        var byDate = existing.ToLookup(r => r.LogicalDate.ToUniversalTime());
        return [.. dates.Select(date => Decide(dagName, date, [.. byDate[date.LogicalDate.ToUniversalTime()]], reprocess))];
    }

    private static BackfillDate Decide(string dagName, PlannedRun date, IReadOnlyList<ExistingRun> runs, Reprocess reprocess)
    {
        if (runs.Count == 0)
        {
            return new BackfillDate(date, true, null, "no run yet");
        }
        if (runs.FirstOrDefault(r => r.Phase is null or RunPhase.Queued or RunPhase.Running) is { } active)
        {
            return new BackfillDate(date, false, null, $"run {active.Name} is {active.Phase?.ToString() ?? "Queued"}");
        }
        var latest = runs[^1];
        if (!Selects(reprocess, latest.Phase))
        {
            return new BackfillDate(date, false, null, $"run {latest.Name} {latest.Phase} (reprocess {ReprocessModes.Names[(int)reprocess]})");
        }
        var name = date.DagRunName(dagName);
        var replaces = runs.Any(r => r.Name == name) ? name : null;
        return new BackfillDate(date, true, replaces, $"re-running: run {latest.Name} {latest.Phase}");
    }

    private static bool Selects(Reprocess reprocess, RunPhase? phase) => reprocess switch
    {
        Reprocess.Failed => phase == RunPhase.Failed,
        Reprocess.Completed => phase is RunPhase.Failed or RunPhase.Succeeded,
        _ => false,
    };
}
