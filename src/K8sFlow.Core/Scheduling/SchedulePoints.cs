using NCrontab;

namespace K8sFlow.Core.Scheduling;

/// <summary>
/// The schedule points (T1, T2, ...) of a cron or interval schedule as UTC instants, strictly increasing,
/// not yet limited by startDate or endDate.
/// </summary>
internal abstract class SchedulePoints
{
    private static readonly TimeSpan FirstSearchWindow = TimeSpan.FromHours(1);

    /// <summary>The points strictly after <paramref name="instant"/>, oldest first, computed lazily.</summary>
    public abstract IEnumerable<DateTimeOffset> After(DateTimeOffset instant);

    /// <summary>
    /// The newest point in [<paramref name="floor"/>, <paramref name="instant"/>], or null. Searches backwards
    /// in doubling windows, so the work depends on how far back that point lies, not on how old the floor is.
    /// </summary>
    public virtual DateTimeOffset? Latest(DateTimeOffset instant, DateTimeOffset floor)
    {
        for (var window = FirstSearchWindow; ; window += window)
        {
            var from = instant - floor <= window ? floor : instant - window;
            DateTimeOffset? newest = null;
            foreach (var point in After(from.AddTicks(-1)).TakeWhile(p => p <= instant))
            {
                newest = point;
            }
            if (newest is not null || from == floor)
            {
                return newest;
            }
        }
    }
}

/// <summary>
/// Cron matches on the wall clock of a time zone, turned into UTC instants by the DST rules documented on
/// <see cref="Timetable"/>.
/// </summary>
internal sealed class CronPoints : SchedulePoints
{
    // No wall-clock jump on record reaches two days (Samoa skipped one whole day in 2011), and no zone
    // changes its offset twice within two days: near a transition, starting the wall-clock search this much
    // early cannot miss a point after the requested instant (a fall back moves the clock back, a gap match
    // maps forward); away from transitions the wall clock runs evenly and no margin is needed.
    private static readonly TimeSpan TransitionMargin = TimeSpan.FromDays(2);

    // Far enough below DateTime.MaxValue that converting a match to UTC cannot overflow.
    private static readonly DateTime Horizon = DateTime.MaxValue.AddDays(-2);

    private readonly CrontabSchedule crontab;
    private readonly TimeZoneInfo zone;
    private readonly bool firesEveryHour;

    public CronPoints(Schedule.Cron cron, TimeZoneInfo zone)
    {
        crontab = cron.Crontab;
        this.zone = zone;
        firesEveryHour = FiresEveryHour(cron.Expression);
    }

    /// <summary>True when the hour field matches all 24 hours (Airflow's test for "runs at least hourly").</summary>
    private static bool FiresEveryHour(string expression)
    {
        var hours = CrontabField.Hours(expression.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return Enumerable.Range(0, 24).All(hours.Contains);
    }

    public override IEnumerable<DateTimeOffset> After(DateTimeOffset instant)
    {
        var newest = instant;
        foreach (var point in Instants(TimeZoneInfo.ConvertTime(instant, zone).DateTime - MarginBefore(instant)))
        {
            // Gap matches collapse onto one instant; earlier instants come from the margin.
            if (point > newest)
            {
                newest = point;
                yield return point;
            }
        }
    }

    private TimeSpan MarginBefore(DateTimeOffset instant)
    {
        var offset = zone.GetUtcOffset(instant);
        var steady = zone.GetUtcOffset(instant - TransitionMargin) == offset && zone.GetUtcOffset(instant + TransitionMargin) == offset;
        return steady ? TimeSpan.Zero : TransitionMargin;
    }

    /// <summary>The instants of the matches after <paramref name="wallClockStart"/>, ascending, with repeats.</summary>
    private IEnumerable<DateTimeOffset> Instants(DateTime wallClockStart)
    {
        using var matches = crontab.GetNextOccurrences(wallClockStart, Horizon).GetEnumerator();
        var more = matches.MoveNext();
        while (more)
        {
            var match = matches.Current;
            more = matches.MoveNext();
            if (zone.IsInvalidTime(match))
            {
                yield return FirstInstantAfterGap(match);
            }
            else if (!zone.IsAmbiguousTime(match))
            {
                yield return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(match, zone));
            }
            else if (!firesEveryHour)
            {
                yield return Occurrence(match, second: true);
            }
            else
            {
                // The repeated hour runs twice: all its matches before the transition, then all after it.
                var repeated = new List<DateTime> { match };
                while (more && zone.IsAmbiguousTime(matches.Current))
                {
                    repeated.Add(matches.Current);
                    more = matches.MoveNext();
                }
                foreach (var m in repeated)
                {
                    yield return Occurrence(m, second: false);
                }
                foreach (var m in repeated)
                {
                    yield return Occurrence(m, second: true);
                }
            }
        }
    }

    /// <summary>An ambiguous wall-clock time: the first occurrence has the larger UTC offset (daylight time).</summary>
    private DateTimeOffset Occurrence(DateTime wallClock, bool second)
    {
        var offsets = zone.GetAmbiguousTimeOffsets(wallClock);
        return new DateTimeOffset(wallClock, second ? offsets.Min() : offsets.Max()).ToUniversalTime();
    }

    /// <summary>
    /// A wall-clock time the clock skips: the first valid instant after it is the transition itself, the
    /// first instant whose wall-clock time is later than <paramref name="wallClock"/>.
    /// </summary>
    private DateTimeOffset FirstInstantAfterGap(DateTime wallClock)
    {
        // UTC offsets lie within -12h..+14h, so the transition lies between these two instants.
        var before = new DateTimeOffset(wallClock, TimeSpan.FromHours(14)).UtcTicks;
        var after = new DateTimeOffset(wallClock, TimeSpan.FromHours(-12)).UtcTicks;
        while (after - before > 1)
        {
            var middle = before + ((after - before) / 2);
            var instant = new DateTimeOffset(middle, TimeSpan.Zero);
            if (TimeZoneInfo.ConvertTime(instant, zone).DateTime > wallClock)
            {
                after = middle;
            }
            else
            {
                before = middle;
            }
        }
        return new DateTimeOffset(after, TimeSpan.Zero);
    }
}

/// <summary>Fixed durations from an anchor (startDate), in both directions; DST does not exist here.</summary>
internal sealed class IntervalPoints(DateTimeOffset anchor, TimeSpan every) : SchedulePoints
{
    private readonly DateTimeOffset anchor = anchor.ToUniversalTime();

    public override IEnumerable<DateTimeOffset> After(DateTimeOffset instant)
    {
        for (var point = PointAt(IndexAtOrBefore(instant) + 1); ; point += every)
        {
            yield return point;
            if (DateTimeOffset.MaxValue - point <= every)
            {
                yield break;
            }
        }
    }

    public override DateTimeOffset? Latest(DateTimeOffset instant, DateTimeOffset floor)
    {
        var point = PointAt(IndexAtOrBefore(instant));
        return point >= floor ? point : null;
    }

    private long IndexAtOrBefore(DateTimeOffset instant)
    {
        var elapsed = instant.UtcTicks - anchor.UtcTicks;
        var index = elapsed / every.Ticks;
        return elapsed % every.Ticks < 0 ? index - 1 : index;
    }

    private DateTimeOffset PointAt(long index) => anchor.AddTicks(index * every.Ticks);
}
