namespace K8sFlow.Core.Scheduling;

/// <summary>
/// One schedule point turned into a run: the dates a DagRun shows so users can tell its logical date,
/// data interval and run-after time apart (spec §1.2). All times are UTC.
/// </summary>
/// <param name="LogicalDate">
/// Scheduled and backfill runs: the data interval start (unique per Dag, so it names the run).
/// Manual runs: the trigger time, as in Airflow, so two manual runs never share a name.
/// </param>
/// <param name="DataIntervalStart">Start of the data the run covers (equals LogicalDate except for manual dataInterval runs).</param>
/// <param name="DataIntervalEnd">End of the data the run covers; equals the start for trigger timetables.</param>
/// <param name="RunAfter">The earliest time the run may start (when its data interval has ended).</param>
/// <param name="RunType">One of <see cref="Names.RunTypes"/>.</param>
/// <param name="RunId">Airflow's run id, e.g. <c>scheduled__2025-01-31T00:00:00+00:00</c>.</param>
public sealed record PlannedRun(
    DateTimeOffset LogicalDate,
    DateTimeOffset DataIntervalStart,
    DateTimeOffset DataIntervalEnd,
    DateTimeOffset RunAfter,
    string RunType,
    string RunId)
{
    /// <summary>
    /// The DagRun's Kubernetes name. Deterministic (same Dag, run type and logical date, same name), so a
    /// controller that plans the same run twice hits AlreadyExists instead of creating a duplicate.
    /// </summary>
    public string DagRunName(string dagName) => Names.DagRunName(dagName, RunType, LogicalDate);

    internal static PlannedRun Create(string runType, DateTimeOffset start, DateTimeOffset end, DateTimeOffset runAfter) =>
        new(start, start, end, runAfter, runType, Names.RunId(runType, start));
}

/// <summary>What <see cref="Timetable.Due"/> found. Equal when the runs, cap and next run time are equal.</summary>
/// <param name="Runs">The runs to create now, oldest first.</param>
/// <param name="Capped">More runs are due than one pass may create; call again with the newest logical date.</param>
/// <param name="NextRunTime">
/// When the next run becomes due (its RunAfter): in the past when <paramref name="Capped"/>, null when no
/// run will ever be due again or the schedule cannot say (manual, @continuous, @once after its run).
/// </param>
public sealed record DuePlan(IReadOnlyList<PlannedRun> Runs, bool Capped, DateTimeOffset? NextRunTime)
{
    public static DuePlan Nothing { get; } = new([], false, null);

    public static DuePlan NotYet(DateTimeOffset nextRunTime) => new([], false, nextRunTime);

    public bool Equals(DuePlan? other) =>
        other is not null && Capped == other.Capped && NextRunTime == other.NextRunTime && Runs.SequenceEqual(other.Runs);

    public override int GetHashCode() => HashCode.Combine(Capped, NextRunTime, Runs.Count);
}
