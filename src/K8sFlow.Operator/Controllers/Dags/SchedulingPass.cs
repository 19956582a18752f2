using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>
/// What one reconcile of a valid Dag schedules. Core's <see cref="Timetable"/> decides which runs are due
/// and when the next one is; this adds only what the controller knows (paused, @continuous' active run)
/// and words the status message. Pure: <c>now</c> is passed in.
/// </summary>
/// <param name="Runs">The runs to create now, oldest first.</param>
/// <param name="Capped">More runs are due than one pass may create: reconcile again at once.</param>
/// <param name="NextRunTime">When the next run is due; null when no run is planned.</param>
/// <param name="Upcoming">The next runs not yet due (status.nextRuns).</param>
/// <param name="Message">Why nothing is scheduled, or how far catch-up got; null when there is nothing to say.</param>
internal sealed record SchedulingPass(
    IReadOnlyList<PlannedRun> Runs,
    bool Capped,
    DateTimeOffset? NextRunTime,
    IReadOnlyList<PlannedRun> Upcoming,
    string? Message)
{
    /// <summary>Counting missed runs past this costs more than the number tells a user.</summary>
    private const int MissedRunsCountLimit = 10_000;

    /// <summary>
    /// The pass for a Dag whose newest known scheduled logical date (status or existing runs) is
    /// <paramref name="lastLogicalDate"/> and whose unfinished run, if any, is <paramref name="activeRun"/>.
    /// </summary>
    public static SchedulingPass Plan(DagSpec spec, Timetable timetable, DateTimeOffset? lastLogicalDate, DagRun? activeRun,
        DateTimeOffset now, DagControllerOptions options)
    {
        if (spec.Paused == true)
        {
            // Core's catch-up rules apply on unpause, given the same last logical date (spec §1.4).
            var onUnpause = timetable.Catchup ? "every missed run" : "only the newest missed run";
            return Nothing($"paused: no new runs are created; unpausing creates {onUnpause}");
        }
        switch (timetable.Schedule)
        {
            case Schedule.Manual:
                return Nothing("no schedule: runs are created manually");
            case Schedule.Continuous when activeRun is not null:
                return Nothing($"@continuous: the next run is created when {activeRun.Metadata.Name} ends");
        }
        var due = timetable.Due(lastLogicalDate, now, options.MaxRunsPerPass);
        var newest = due.Runs.Count > 0 ? due.Runs[^1].LogicalDate : lastLogicalDate;
        var upcoming = timetable.Upcoming(newest, now, options.UpcomingRuns);
        string? message = null;
        if (due.Capped)
        {
            message = $"created {due.Runs.Count} of {CountMissed(timetable, lastLogicalDate, now)} missed runs; more on the next pass";
        }
        else if (due.Runs.Count == 0 && due.NextRunTime is null && upcoming.Count == 0)
        {
            message = "no further scheduled runs (endDate passed or @once done)";
        }
        return new SchedulingPass(due.Runs, due.Capped, due.NextRunTime, upcoming, message);
    }

    private static SchedulingPass Nothing(string message) => new([], false, null, [], message);

    private static string CountMissed(Timetable timetable, DateTimeOffset? lastLogicalDate, DateTimeOffset now)
    {
        var missed = timetable.Due(lastLogicalDate, now, MissedRunsCountLimit);
        return missed.Capped ? $"more than {MissedRunsCountLimit}" : missed.Runs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
