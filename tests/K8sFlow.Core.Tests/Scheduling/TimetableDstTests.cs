using static K8sFlow.Core.Tests.Scheduling.Timetables;

namespace K8sFlow.Core.Tests.Scheduling;

/// <summary>
/// Cron on the Dag's wall clock, stored in UTC (spec §1.5), across New York's 2025 transitions:
/// spring forward 2025-03-09 02:00 EST -> 03:00 EDT, fall back 2025-11-02 02:00 EDT -> 01:00 EST.
/// </summary>
public class TimetableDstTests
{
    private const string NewYork = "America/New_York";

    [Theory]
    // Midnight keeps wall-clock time: 05:00 UTC in winter (EST), 04:00 UTC in summer (EDT).
    [InlineData("0 0 * * *", "2025-03-08T00:00:00-05:00", "2025-03-11T12:00:00Z",
        new[] { "2025-03-08T05:00Z", "2025-03-09T05:00Z", "2025-03-10T04:00Z", "2025-03-11T04:00Z" })]
    [InlineData("0 0 * * *", "2025-11-01T00:00:00-04:00", "2025-11-03T12:00:00Z",
        new[] { "2025-11-01T04:00Z", "2025-11-02T04:00Z", "2025-11-03T05:00Z" })]
    // 01:30 exists on the spring-forward day; on the fall-back day it happens twice and runs once, at the
    // second occurrence (01:30 EST = 06:30 UTC).
    [InlineData("30 1 * * *", "2025-03-08T00:00:00-05:00", "2025-03-10T12:00:00Z",
        new[] { "2025-03-08T06:30Z", "2025-03-09T06:30Z", "2025-03-10T05:30Z" })]
    [InlineData("30 1 * * *", "2025-11-01T00:00:00-04:00", "2025-11-03T12:00:00Z",
        new[] { "2025-11-01T05:30Z", "2025-11-02T06:30Z", "2025-11-03T06:30Z" })]
    // Hours 1-3 leave out other hours: the repeated 01:30 still runs once.
    [InlineData("30 1-3 * * *", "2025-11-02T00:00:00-04:00", "2025-11-02T09:00:00Z",
        new[] { "2025-11-02T06:30Z", "2025-11-02T07:30Z", "2025-11-02T08:30Z" })]
    // 02:30 does not exist on 2025-03-09: it runs at the first valid instant after it, 03:00 EDT = 07:00 UTC.
    [InlineData("30 2 * * *", "2025-03-08T00:00:00-05:00", "2025-03-10T12:00:00Z",
        new[] { "2025-03-08T07:30Z", "2025-03-09T07:00Z", "2025-03-10T06:30Z" })]
    [InlineData("30 2 * * *", "2025-11-01T00:00:00-04:00", "2025-11-03T12:00:00Z",
        new[] { "2025-11-01T06:30Z", "2025-11-02T07:30Z", "2025-11-03T07:30Z" })]
    // A match at the gap start is in the gap too.
    [InlineData("0 2 * * *", "2025-03-08T00:00:00-05:00", "2025-03-10T12:00:00Z",
        new[] { "2025-03-08T07:00Z", "2025-03-09T07:00Z", "2025-03-10T06:00Z" })]
    // Several matches in one gap collapse into one run.
    [InlineData("*/20 2 * * *", "2025-03-08T00:00:00-05:00", "2025-03-10T12:00:00Z",
        new[] { "2025-03-08T07:00Z", "2025-03-08T07:20Z", "2025-03-08T07:40Z", "2025-03-09T07:00Z",
            "2025-03-10T06:00Z", "2025-03-10T06:20Z", "2025-03-10T06:40Z" })]
    public void Cron_NewYorkAcrossTransitions_KeepsWallClockTime(string cron, string localMidnight, string now, string[] expected)
    {
        Points(cron, NewYork, localMidnight, now).Should().Equal(expected);
    }

    [Theory]
    // Hourly crons run the repeated hour twice (01:30 EDT, then 01:30 EST): still one run per real hour.
    [InlineData("30 * * * *", "2025-11-02T04:00:00Z", "2025-11-02T08:00:00Z",
        new[] { "2025-11-02T04:30Z", "2025-11-02T05:30Z", "2025-11-02T06:30Z", "2025-11-02T07:30Z" })]
    // Every repeated match runs on both sides of the transition, in time order, no duplicates.
    [InlineData("30 0-23 * * *", "2025-11-02T04:00:00Z", "2025-11-02T08:00:00Z",
        new[] { "2025-11-02T04:30Z", "2025-11-02T05:30Z", "2025-11-02T06:30Z", "2025-11-02T07:30Z" })]
    [InlineData("*/30 * * * *", "2025-11-02T04:00:00Z", "2025-11-02T07:00:00Z",
        new[] { "2025-11-02T04:00Z", "2025-11-02T04:30Z", "2025-11-02T05:00Z", "2025-11-02T05:30Z",
            "2025-11-02T06:00Z", "2025-11-02T06:30Z", "2025-11-02T07:00Z" })]
    // Spring forward: 02:00 is skipped and collapses into 03:00 EDT, which is a match itself.
    [InlineData("0 * * * *", "2025-03-09T05:00:00Z", "2025-03-09T08:00:00Z",
        new[] { "2025-03-09T05:00Z", "2025-03-09T06:00Z", "2025-03-09T07:00Z", "2025-03-09T08:00Z" })]
    [InlineData("*/15 * * * *", "2025-03-09T06:30:00Z", "2025-03-09T07:30:00Z",
        new[] { "2025-03-09T06:30Z", "2025-03-09T06:45Z", "2025-03-09T07:00Z", "2025-03-09T07:15Z", "2025-03-09T07:30Z" })]
    public void Cron_FiringAtLeastHourly_RunsTheRepeatedHourTwice(string cron, string start, string now, string[] expected)
    {
        Points(cron, NewYork, start, now).Should().Equal(expected);
    }

    [Fact]
    public void Cron_RepeatedHourOneRunPerPass_SameAsOnePass()
    {
        var timetable = Build("*/20 * * * *", catchup: true, start: "2025-11-02T04:00:00Z", timezone: NewYork);
        var now = At("2025-11-02T08:00:00Z");
        var onePass = timetable.Due(null, now, int.MaxValue).Runs.Select(r => r.LogicalDate);

        var passes = new List<DateTimeOffset>();
        for (var plan = timetable.Due(null, now, 1); plan.Runs.Count > 0; plan = timetable.Due(passes[^1], now, 1))
        {
            passes.AddRange(plan.Runs.Select(r => r.LogicalDate));
        }

        passes.Should().HaveCount(13).And.Equal(onePass);
    }

    [Fact]
    public void Cron_CatchupFalseInsideRepeatedHour_PicksTheNewestInstant()
    {
        // 06:10 UTC is 01:10 EST, after 01:00 EST (06:00 UTC) and 01:00 EDT (05:00 UTC).
        var plan = Build("0 * * * *", start: "2025-11-01T00:00:00Z", timezone: NewYork).Due(null, At("2025-11-02T06:10:00Z"), 10);

        plan.Runs.Select(r => Iso(r.LogicalDate)).Should().Equal("2025-11-02T06:00Z");
        plan.NextRunTime.Should().Be(At("2025-11-02T07:00:00Z"));
    }

    [Fact]
    public void DataInterval_DailyOverSpringForward_IntervalIs23Hours()
    {
        var runs = Build("0 0 * * *", "dataInterval", catchup: true, start: "2025-03-08T05:00:00Z", timezone: NewYork)
            .Due(null, At("2025-03-11T00:00:00Z"), 10).Runs;

        runs.Select(r => r.DataIntervalEnd - r.DataIntervalStart)
            .Should().Equal(TimeSpan.FromHours(24), TimeSpan.FromHours(23));
        runs[1].DataIntervalStart.Should().Be(At("2025-03-09T05:00:00Z"));
        runs[1].RunAfter.Should().Be(At("2025-03-10T04:00:00Z"));
    }

    [Fact]
    public void Upcoming_AcrossFallBack_ShowsUtcInstantsOfWallClockMidnight()
    {
        var upcoming = Build("@daily", start: "2025-10-01T00:00:00Z", timezone: NewYork).Upcoming(null, At("2025-11-01T12:00:00Z"), 3);

        upcoming.Select(r => Iso(r.RunAfter)).Should().Equal("2025-11-02T04:00Z", "2025-11-03T05:00Z", "2025-11-04T05:00Z");
    }

    [Theory]
    [InlineData("0 9 * * *", new[] { "2025-03-09T00:00Z", "2025-03-10T00:00Z", "2025-03-11T00:00Z" })]
    [InlineData("30 2 * * *", new[] { "2025-03-08T17:30Z", "2025-03-09T17:30Z", "2025-03-10T17:30Z" })]
    public void Cron_SeoulHasNoDst_FixedNineHourOffset(string cron, string[] expected)
    {
        Points(cron, "Asia/Seoul", "2025-03-08T12:00:00Z", "2025-03-11T00:00:00Z").Should().Equal(expected);
    }

    [Fact]
    public void Manual_DataIntervalInNewYork_LastCompleteWallClockDay()
    {
        var run = Build("@daily", "dataInterval", timezone: NewYork).Manual(At("2025-03-10T12:00:00Z"));

        run.DataIntervalStart.Should().Be(At("2025-03-09T05:00:00Z"));
        run.DataIntervalEnd.Should().Be(At("2025-03-10T04:00:00Z"));
    }
}
