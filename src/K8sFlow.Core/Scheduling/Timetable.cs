using System.Diagnostics.CodeAnalysis;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Scheduling;

/// <summary>How schedule points map to runs (spec §1.2, <c>spec.timetable</c>).</summary>
public enum TimetableKind
{
    /// <summary>Airflow 3: a run fires at each point Tk; logicalDate = runAfter = Tk, interval [Tk, Tk].</summary>
    Trigger,

    /// <summary>Airflow 2: a run covers [Tk, Tk+1), becomes due at Tk+1; logicalDate = Tk.</summary>
    DataInterval,
}

/// <summary>A <see cref="Scheduling.Timetable"/>, or every reason the Dag's schedule fields are invalid.</summary>
public sealed record TimetableResult
{
    private TimetableResult(Timetable? timetable, IReadOnlyList<string> errors)
    {
        Timetable = timetable;
        Errors = errors;
    }

    public Timetable? Timetable { get; }

    /// <summary>One message per invalid field, each naming the field and the accepted values.</summary>
    public IReadOnlyList<string> Errors { get; }

    [MemberNotNullWhen(true, nameof(Timetable))]
    public bool IsValid => Timetable is not null;

    public static TimetableResult Valid(Timetable timetable) => new(timetable, []);

    public static TimetableResult Invalid(IReadOnlyList<string> errors) => new(null, errors);
}

/// <summary>
/// When a Dag's runs happen (spec §1.1-1.5, 1.7, 1.8): turns <c>schedule</c>, <c>timezone</c>,
/// <c>timetable</c>, <c>startDate</c>, <c>endDate</c> and <c>catchup</c> into planned runs. Pure: the
/// caller passes <c>now</c> and the logical date of the Dag's newest scheduled run.
/// </summary>
/// <remarks>
/// <para>Schedule points: the cron matches, or startDate + k * interval for <c>@every</c>. startDate is
/// aligned up to the first point at or after it; endDate is inclusive (no run whose logical date is after
/// it). A paused Dag simply is not asked; when unpaused it catches up like any other late call.</para>
/// <para>Cron and time zones: a cron is matched on the Dag's wall-clock time and every instant is stored
/// in UTC (<c>0 0 * * *</c> in America/New_York is 05:00 UTC in winter, 04:00 UTC in summer). At DST
/// transitions:</para>
/// <list type="bullet">
/// <item>Fall back (a wall-clock hour happens twice): a cron whose hour field leaves out some hour (fires
/// less often than hourly) runs once, at the second occurrence (standard time): <c>30 1 * * *</c> runs at
/// 01:30 EST. A cron whose hour field covers every hour (<c>*</c>, <c>0-23</c>) runs the repeated hour
/// twice: all its matches in that hour before the transition, then all of them after it, in time order,
/// no duplicates (so <c>30 * * * *</c> still runs once per real hour).</item>
/// <item>Spring forward (a wall-clock hour is skipped): a match inside the gap runs at the first valid
/// instant after it, the transition itself (<c>30 2 * * *</c> runs at 03:00 EDT that day); several matches
/// in one gap, and a match at the gap's end, collapse into that one run.</item>
/// <item><c>@every</c> intervals are fixed durations in UTC and ignore DST.</item>
/// </list>
/// </remarks>
public sealed class Timetable
{
    // A manual dataInterval run looks this far back for its last complete interval (rarer crons get [t, t]).
    private const int ManualLookBehindYears = 100;

    // A cron that matches nothing in a century (e.g. 30 February) matches nothing ever.
    private static readonly DateTime NeverMatchesFrom = new(2000, 1, 1);
    private static readonly DateTime NeverMatchesUntil = new(2100, 1, 1);

    /// <summary>The points of cron and interval schedules; null for manual, @once and @continuous.</summary>
    private readonly SchedulePoints? points;

    private Timetable(Schedule schedule, TimetableKind kind, TimeZoneInfo timeZone, DagSpec spec, SchedulePoints? points)
    {
        Schedule = schedule;
        Kind = kind;
        TimeZone = timeZone;
        StartDate = spec.StartDate?.ToUniversalTime();
        EndDate = spec.EndDate?.ToUniversalTime();
        Catchup = spec.Catchup ?? false;
        this.points = points;
    }

    public Schedule Schedule { get; }
    public TimetableKind Kind { get; }
    public TimeZoneInfo TimeZone { get; }
    public DateTimeOffset? StartDate { get; }
    public DateTimeOffset? EndDate { get; }
    public bool Catchup { get; }

    /// <summary>
    /// Checks and reads the schedule fields of <paramref name="spec"/>: schedule, timezone, timetable,
    /// startDate (required for cron and @every), endDate not before startDate, and maxActiveRuns 1 for
    /// @continuous when set.
    /// </summary>
    public static TimetableResult Create(DagSpec spec)
    {
        var errors = new List<string>();
        if (!Schedule.TryParse(spec.Schedule, out var schedule, out var scheduleError))
        {
            errors.Add($"spec.schedule: {scheduleError}");
        }
        if (!TimeZones.TryResolve(spec.Timezone, out var zone, out var zoneError))
        {
            errors.Add($"spec.timezone: {zoneError}");
        }
        if (!TryParseKind(spec.Timetable, out var kind))
        {
            errors.Add($"spec.timetable: unknown timetable '{spec.Timetable}' (expected trigger or dataInterval)");
        }
        if (schedule is Schedule.Cron cron
            && cron.Crontab.GetNextOccurrence(NeverMatchesFrom, NeverMatchesUntil) == NeverMatchesUntil)
        {
            errors.Add($"spec.schedule: cron '{cron.Expression}' never matches (check day-of-month against month)");
        }
        if (schedule is Schedule.Cron or Schedule.Interval && spec.StartDate is null)
        {
            errors.Add($"spec.startDate is required for schedule '{spec.Schedule}': it is the first schedule point "
                + "(e.g. startDate: \"2026-01-01T00:00:00Z\")");
        }
        if (spec.StartDate is { } start && spec.EndDate is { } end && end < start)
        {
            errors.Add($"spec.endDate {Names.FormatIso(end)} is before spec.startDate {Names.FormatIso(start)}");
        }
        if (schedule is Schedule.Continuous && spec.MaxActiveRuns is { } maxActiveRuns && maxActiveRuns != 1)
        {
            errors.Add($"spec.maxActiveRuns must be 1 for schedule @continuous (got {maxActiveRuns})");
        }
        if (errors.Count > 0)
        {
            return TimetableResult.Invalid(errors);
        }
        SchedulePoints? points = schedule switch
        {
            Schedule.Cron c => new CronPoints(c, zone),
            Schedule.Interval i => new IntervalPoints(spec.StartDate!.Value, i.Every),
            _ => null,
        };
        return TimetableResult.Valid(new Timetable(schedule, kind, zone, spec, points));
    }

    /// <summary>
    /// The scheduled runs due at <paramref name="now"/> (spec §1.4), oldest first. Catchup true: every due
    /// point after <paramref name="lastLogicalDate"/> (or from startDate), at most <paramref name="maxRuns"/>
    /// per call (<see cref="DuePlan.Capped"/>; call again with the newest logical date to continue). Catchup
    /// false: only the newest due point, even after an outage. @once: one run at startDate, never again once
    /// <paramref name="lastLogicalDate"/> is set. @continuous: one run at <paramref name="now"/> (whole
    /// seconds) each call; the caller asks only while no run of the Dag is active. Manual: nothing.
    /// </summary>
    /// <param name="lastLogicalDate">Logical date of the Dag's newest scheduled run; null when it has none.</param>
    /// <param name="now">The controller's clock.</param>
    /// <param name="maxRuns">At most this many runs per call (catch-up cap, spec §1.4); at least 1.</param>
    public DuePlan Due(DateTimeOffset? lastLogicalDate, DateTimeOffset now, int maxRuns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRuns);
        if (points is null)
        {
            return Schedule switch
            {
                Schedule.Once => DueOnce(lastLogicalDate, now),
                Schedule.Continuous => DueContinuous(lastLogicalDate, now),
                _ => DuePlan.Nothing,
            };
        }
        var after = PointsAfter(lastLogicalDate);
        return Catchup ? DueInOrder(points, after, now, maxRuns) : DueNewest(points, after, now);
    }

    /// <summary>
    /// The next <paramref name="count"/> scheduled runs not yet due at <paramref name="now"/> (for Dag status
    /// and <c>k8sflow schedule</c>). Empty for manual and @continuous once started.
    /// </summary>
    public IReadOnlyList<PlannedRun> Upcoming(DateTimeOffset? lastLogicalDate, DateTimeOffset now, int count)
    {
        if (count <= 0)
        {
            return [];
        }
        if (points is null)
        {
            var startsLater = StartDate > now && (Schedule is Schedule.Continuous || (Schedule is Schedule.Once && lastLogicalDate is null));
            return startsLater ? [OnceRun(Names.RunTypes.Scheduled)] : [];
        }
        var after = PointsAfter(lastLogicalDate);
        // Jump to the first run not yet due instead of walking from an old startDate: trigger runs are
        // due at their point, dataInterval runs one point later.
        var notDueAfter = Kind == TimetableKind.Trigger
            ? now
            : points.Latest(now, after.AddTicks(1))?.AddTicks(-1) ?? after;
        return [.. Runs(points, Max(after, notDueAfter), Names.RunTypes.Scheduled).TakeWhile(WithinEndDate).Take(count)];
    }

    /// <summary>
    /// A manual run triggered at <paramref name="triggerTime"/> (spec §1.2): logical date and run-after are
    /// the trigger time; dataInterval cron/@every Dags get the last complete interval ending at or before
    /// it, every other Dag [t, t].
    /// </summary>
    public PlannedRun Manual(DateTimeOffset triggerTime)
    {
        var at = triggerTime.ToUniversalTime();
        var (start, end) = Kind == TimetableKind.DataInterval && points is not null && LastCompleteInterval(points, at) is { } interval
            ? interval
            : (at, at);
        return new PlannedRun(at, start, end, at, Names.RunTypes.Manual, Names.RunId(Names.RunTypes.Manual, at));
    }

    /// <summary>
    /// Backfill runs (spec §1.7): one per schedule point in [<paramref name="from"/>, <paramref name="to"/>]
    /// whose interval has ended at <paramref name="now"/>, oldest first. The range is the user's explicit
    /// choice, so startDate, endDate and catchup do not apply. Empty for manual and @continuous Dags.
    /// </summary>
    public IReadOnlyList<PlannedRun> Backfill(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
    {
        if (points is null)
        {
            return Schedule is Schedule.Once && StartDate is { } start && from <= start && start <= to && start <= now
                ? [OnceRun(Names.RunTypes.Backfill)]
                : [];
        }
        return [.. Runs(points, from.AddTicks(-1), Names.RunTypes.Backfill).TakeWhile(r => r.LogicalDate <= to && r.RunAfter <= now)];
    }

    private static bool TryParseKind(string? text, out TimetableKind kind)
    {
        kind = TimetableKind.Trigger;
        switch (text)
        {
            case null or "" or "trigger":
                return true;
            case "dataInterval":
                kind = TimetableKind.DataInterval;
                return true;
            default:
                return false;
        }
    }

    private DuePlan DueInOrder(SchedulePoints points, DateTimeOffset after, DateTimeOffset now, int maxRuns)
    {
        var runs = new List<PlannedRun>();
        foreach (var run in Runs(points, after, Names.RunTypes.Scheduled).TakeWhile(WithinEndDate))
        {
            if (run.RunAfter > now)
            {
                return new DuePlan(runs, false, run.RunAfter);
            }
            if (runs.Count >= maxRuns)
            {
                return new DuePlan(runs, true, run.RunAfter);
            }
            runs.Add(run);
        }
        return new DuePlan(runs, false, null);
    }

    private DuePlan DueNewest(SchedulePoints points, DateTimeOffset after, DateTimeOffset now)
    {
        var newest = NewestDuePoint(points, after, now);
        var next = Runs(points, newest ?? after, Names.RunTypes.Scheduled).TakeWhile(WithinEndDate).FirstOrDefault();
        IReadOnlyList<PlannedRun> runs = newest is { } point
            ? [Runs(points, point.AddTicks(-1), Names.RunTypes.Scheduled).First()]
            : [];
        return new DuePlan(runs, false, next?.RunAfter);
    }

    /// <summary>The newest point after <paramref name="after"/> whose run is due at <paramref name="now"/>, within endDate.</summary>
    private DateTimeOffset? NewestDuePoint(SchedulePoints points, DateTimeOffset after, DateTimeOffset now)
    {
        var floor = after.AddTicks(1);
        DateTimeOffset? latestStart = Kind == TimetableKind.Trigger
            ? now
            : points.Latest(now, floor)?.AddTicks(-1); // a dataInterval run is due once its end point passed
        if (latestStart is not { } latest)
        {
            return null;
        }
        return points.Latest(EndDate is { } end && end < latest ? end : latest, floor);
    }

    private DuePlan DueOnce(DateTimeOffset? lastLogicalDate, DateTimeOffset now)
    {
        if (StartDate is not { } start || lastLogicalDate is not null)
        {
            return DuePlan.Nothing;
        }
        return start > now ? DuePlan.NotYet(start) : new DuePlan([OnceRun(Names.RunTypes.Scheduled)], false, null);
    }

    private DuePlan DueContinuous(DateTimeOffset? lastLogicalDate, DateTimeOffset now)
    {
        // Whole seconds: the DagRun name has second precision, so two runs must not share a second.
        var at = WholeSeconds(now);
        if (StartDate is { } start && start > at)
        {
            return DuePlan.NotYet(start);
        }
        if (EndDate is { } end && at > end)
        {
            return DuePlan.Nothing;
        }
        if (lastLogicalDate is { } last && last >= at)
        {
            return DuePlan.NotYet(WholeSeconds(last).AddSeconds(1));
        }
        return new DuePlan([PlannedRun.Create(Names.RunTypes.Scheduled, at, at, at)], false, null);
    }

    /// <summary>The @once run, and @continuous' first run while startDate is ahead: at startDate, interval [startDate, startDate].</summary>
    private PlannedRun OnceRun(string runType) =>
        PlannedRun.Create(runType, StartDate!.Value, StartDate.Value, StartDate.Value);

    /// <summary>
    /// The runs of the points after <paramref name="after"/>, oldest first, lazily: trigger runs are due at
    /// their point; a dataInterval run covers [Tk, Tk+1) and is due at Tk+1.
    /// </summary>
    private IEnumerable<PlannedRun> Runs(SchedulePoints points, DateTimeOffset after, string runType)
    {
        using var next = points.After(after).GetEnumerator();
        if (!next.MoveNext())
        {
            yield break;
        }
        var start = next.Current;
        while (true)
        {
            var more = next.MoveNext();
            if (Kind == TimetableKind.Trigger)
            {
                yield return PlannedRun.Create(runType, start, start, start);
            }
            else if (more)
            {
                yield return PlannedRun.Create(runType, start, next.Current, next.Current);
            }
            if (!more)
            {
                yield break;
            }
            start = next.Current;
        }
    }

    private static (DateTimeOffset Start, DateTimeOffset End)? LastCompleteInterval(SchedulePoints points, DateTimeOffset at)
    {
        var floor = at.AddYears(-ManualLookBehindYears);
        if (points.Latest(at, floor) is not { } end || points.Latest(end.AddTicks(-1), floor) is not { } start)
        {
            return null;
        }
        return (start, end);
    }

    /// <summary>Points considered are after this instant: after the newest run, and not before startDate.</summary>
    private DateTimeOffset PointsAfter(DateTimeOffset? lastLogicalDate)
    {
        var beforeStart = StartDate!.Value.AddTicks(-1);
        return lastLogicalDate is { } last && last > beforeStart ? last : beforeStart;
    }

    private bool WithinEndDate(PlannedRun run) => EndDate is not { } end || run.LogicalDate <= end;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
