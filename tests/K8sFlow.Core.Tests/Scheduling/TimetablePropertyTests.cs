using FsCheck;
using FsCheck.Fluent;
using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;
using NCrontab;

namespace K8sFlow.Core.Tests.Scheduling;

/// <summary>Properties over random crons, zones, start dates and clocks (FsCheck prints a replay seed on failure).</summary>
public class TimetablePropertyTests
{
    // Each zone with the days of its 2025 DST transitions (Lord Howe shifts by 30 minutes, Santiago at
    // midnight), so most cases cross one; zones without DST get a plain day.
    private static readonly (string Zone, DateTimeOffset[] Days)[] ZoneTransitions =
    [
        ("UTC", [Day(2025, 7, 1)]),
        ("Asia/Seoul", [Day(2025, 7, 1)]),
        ("America/New_York", [Day(2025, 3, 9), Day(2025, 11, 2)]),
        ("Europe/London", [Day(2025, 3, 30), Day(2025, 10, 26)]),
        ("Australia/Lord_Howe", [Day(2025, 4, 6), Day(2025, 10, 5)]),
        ("America/Santiago", [Day(2025, 4, 6), Day(2025, 9, 7)]),
    ];

    public sealed record Case(string Cron, string Zone, string Kind, DateTimeOffset Start, DateTimeOffset? End, DateTimeOffset Now, int Cap)
    {
        public Timetable Build(bool catchup) => Timetable.Create(new DagSpec
        {
            Schedule = Cron,
            Timezone = Zone,
            Timetable = Kind,
            Catchup = catchup,
            StartDate = Start,
            EndDate = End,
        }).Timetable!;
    }

    // Weighted towards crons that match on transition days inside the shifted hours (01:xx in New York,
    // London and Lord Howe, 23:xx in Santiago).
    private static Gen<string> Crons() =>
        from minute in Gen.Elements("0", "30", "*/15", "*/7", "5,50", "59")
        from hour in Weighted((3, "*"), (3, "1"), (2, "2"), (1, "0"), (1, "23"), (1, "*/3"), (1, "1-3"))
        from day in Weighted((6, "*"), (1, "1"), (1, "15"), (1, "*/2"), (1, "29"))
        from month in Weighted((6, "*"), (1, "3"), (1, "10"), (1, "11"), (1, "*/4"))
        from weekday in Weighted((6, "*"), (1, "0"), (1, "1-5"))
        select $"{minute} {hour} {day} {month} {weekday}";

    private static Gen<string> Weighted(params (int Weight, string Value)[] choices) =>
        Gen.Frequency(choices.Select(c => (c.Weight, Gen.Constant(c.Value))));

    /// <param name="maxSpan">Longest distance from startDate to now.</param>
    private static Arbitrary<Case> Cases(TimeSpan maxSpan) =>
        (from cron in Crons()
         from zone in Gen.Elements(ZoneTransitions)
         from anchor in Gen.Elements(zone.Days)
         from timetable in Gen.Elements("trigger", "dataInterval")
         from startMinutes in Gen.Choose(-3 * 24 * 60, 24 * 60)
         from startSeconds in Gen.Elements(0, 17)
         from spanMinutes in Gen.Choose(-60, (int)maxSpan.TotalMinutes)
         from endMinutes in Gen.Choose(0, (int)maxSpan.TotalMinutes)
         from hasEnd in Gen.Elements(false, false, true)
         from cap in Gen.Choose(1, 20)
         let start = anchor.AddMinutes(startMinutes).AddSeconds(startSeconds)
         select new Case(cron, zone.Zone, timetable, start, hasEnd ? start.AddMinutes(endMinutes) : null, start.AddMinutes(spanMinutes), cap))
        .Where(c => Timetable.Create(new DagSpec { Schedule = c.Cron, StartDate = c.Start }).IsValid)
        .ToArbitrary();

    private static DateTimeOffset Day(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    private static void Check(Arbitrary<Case> cases, int count, Action<Case> property) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(count), Prop.ForAll(cases, property));

    [Fact]
    public void Due_ChainedCappedPasses_StrictlyIncreasingWithinBoundsAndSameAsOnePass()
    {
        Check(Cases(TimeSpan.FromDays(10)), 200, c =>
        {
            var timetable = c.Build(catchup: true);
            var onePass = timetable.Due(null, c.Now, int.MaxValue);
            // Keep the number of passes small for dense crons: the chaining is what is under test.
            var cap = Math.Max(c.Cap, onePass.Runs.Count / 40);

            var chained = new List<PlannedRun>();
            DuePlan plan;
            DateTimeOffset? last = null;
            do
            {
                plan = timetable.Due(last, c.Now, cap);
                plan.Runs.Count.Should().BeLessThanOrEqualTo(cap);
                chained.AddRange(plan.Runs);
                last = chained.Count > 0 ? chained[^1].LogicalDate : last;
            }
            while (plan.Capped);

            chained.Should().Equal(onePass.Runs);
            var dates = chained.Select(r => r.LogicalDate).ToList();
            dates.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            dates.Where(d => d < c.Start || d > c.End).Should().BeEmpty();
            chained.Where(r => r.RunAfter > c.Now || r.DataIntervalStart != r.LogicalDate).Should().BeEmpty();
            (plan.NextRunTime is null || plan.NextRunTime > c.Now).Should().BeTrue();
        });
    }

    [Fact]
    public void Due_CatchupFalse_IsTheNewestRunOfAFullCatchup()
    {
        Check(Cases(TimeSpan.FromDays(120)), 200, c =>
        {
            var all = c.Build(catchup: true).Due(null, c.Now, int.MaxValue);
            var newestOnly = c.Build(catchup: false);

            newestOnly.Due(null, c.Now, c.Cap).Should().Be(all.Runs.Count == 0 ? all : all with { Runs = [all.Runs[^1]] });
            if (all.Runs.Count >= 2)
            {
                // After an outage: a previous run some points back still yields only the newest point.
                var previous = all.Runs[(all.Runs.Count - 1) / 2].LogicalDate;
                newestOnly.Due(previous, c.Now, c.Cap).Runs.Should().Equal(all.Runs[^1]);
            }
        });
    }

    [Fact]
    public void Upcoming_IsWhatDueReturnsWhenTheClockGetsThere()
    {
        Check(Cases(TimeSpan.FromDays(60)), 150, c =>
        {
            var timetable = c.Build(catchup: true);
            var due = timetable.Due(null, c.Now, int.MaxValue);
            var last = due.Runs.Count > 0 ? due.Runs[^1].LogicalDate : (DateTimeOffset?)null;

            var upcoming = timetable.Upcoming(last, c.Now, 3);

            upcoming.Where(r => r.RunAfter <= c.Now).Should().BeEmpty();
            upcoming.Select(r => (DateTimeOffset?)r.RunAfter).FirstOrDefault().Should().Be(due.NextRunTime);
            if (upcoming.Count > 0)
            {
                timetable.Due(last, upcoming[^1].RunAfter, int.MaxValue).Runs.Should().Equal(upcoming);
            }
        });
    }

    [Fact]
    public void Cron_PointsEqualABruteForceScanOfEveryMinute()
    {
        Check(Cases(TimeSpan.FromDays(3)), 300, c =>
        {
            var trigger = c with { Kind = "trigger", End = null };

            var points = trigger.Build(catchup: true).Due(null, c.Now, int.MaxValue).Runs.Select(r => r.LogicalDate);

            points.Should().Equal(ScanEveryMinute(c.Cron, TimeZoneInfo.FindSystemTimeZoneById(c.Zone), c.Start, c.Now));
        });
    }

    /// <summary>
    /// The DST rules restated minute by minute: a UTC minute is a point when its wall-clock time matches
    /// (ambiguous wall-clock times only at their second occurrence unless the hour field is *), and the
    /// first minute after a spring-forward jump is a point when any skipped wall-clock minute matches.
    /// </summary>
    private static List<DateTimeOffset> ScanEveryMinute(string cron, TimeZoneInfo zone, DateTimeOffset start, DateTimeOffset now)
    {
        var crontab = CrontabSchedule.Parse(cron);
        var everyHour = cron.Split(' ')[1] == "*";
        bool Matches(DateTime wallClock) => crontab.GetNextOccurrence(wallClock.AddMinutes(-1)) == wallClock;
        DateTime WallClock(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, zone).DateTime;

        var points = new List<DateTimeOffset>();
        var first = new DateTimeOffset(start.UtcTicks - (start.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        first = first < start ? first.AddMinutes(1) : first;
        var previousWallClock = WallClock(first.AddMinutes(-1));
        for (var minute = first; minute <= now; minute = minute.AddMinutes(1))
        {
            var wallClock = WallClock(minute);
            var skippedMatch = false;
            for (var skipped = previousWallClock.AddMinutes(1); skipped < wallClock; skipped = skipped.AddMinutes(1))
            {
                skippedMatch |= Matches(skipped);
            }
            previousWallClock = wallClock;
            var firstOfTwo = zone.IsAmbiguousTime(wallClock) && zone.GetUtcOffset(minute) == zone.GetAmbiguousTimeOffsets(wallClock).Max();
            if (skippedMatch || (Matches(wallClock) && !(firstOfTwo && !everyHour)))
            {
                points.Add(minute);
            }
        }
        return points;
    }
}
