using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;
using static K8sFlow.Core.Tests.Scheduling.Timetables;

namespace K8sFlow.Core.Tests.Scheduling;

public class TimetableTests
{
    // Spec §1.4's example: @daily UTC, startDate 2025-01-01, first evaluated 2025-01-31 15:00, no runs yet.
    private const string FirstEvaluated = "2025-01-31T15:00:00Z";

    [Theory]
    [InlineData("trigger", false, 1, "2025-01-31T00:00Z", "2025-01-31T00:00Z")]
    [InlineData("trigger", true, 31, "2025-01-01T00:00Z", "2025-01-31T00:00Z")]
    [InlineData("dataInterval", false, 1, "2025-01-30T00:00Z", "2025-01-30T00:00Z")]
    [InlineData("dataInterval", true, 30, "2025-01-01T00:00Z", "2025-01-30T00:00Z")]
    public void Due_SpecCatchupExample_MatchesTable(string timetable, bool catchup, int count, string first, string last)
    {
        var plan = Build("@daily", timetable, catchup).Due(null, At(FirstEvaluated), 1000);

        plan.Runs.Should().HaveCount(count);
        Iso(plan.Runs[0].LogicalDate).Should().Be(first);
        Iso(plan.Runs[^1].LogicalDate).Should().Be(last);
        plan.Runs.Select(r => r.LogicalDate).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        plan.Capped.Should().BeFalse();
        plan.NextRunTime.Should().Be(At("2025-02-01T00:00:00Z"));
    }

    [Fact]
    public void Due_Trigger_RunFiresAtItsPointWithZeroInterval()
    {
        var run = Build("@daily").Due(null, At(FirstEvaluated), 10).Runs.Single();

        run.Should().Be(new PlannedRun(
            At("2025-01-31T00:00:00Z"), At("2025-01-31T00:00:00Z"), At("2025-01-31T00:00:00Z"), At("2025-01-31T00:00:00Z"),
            "scheduled", "scheduled__2025-01-31T00:00:00+00:00"));
    }

    [Fact]
    public void Due_DataInterval_RunCoversPreviousDayAndIsDueAtItsEnd()
    {
        var run = Build("@daily", "dataInterval").Due(null, At(FirstEvaluated), 10).Runs.Single();

        run.Should().Be(new PlannedRun(
            At("2025-01-30T00:00:00Z"), At("2025-01-30T00:00:00Z"), At("2025-01-31T00:00:00Z"), At("2025-01-31T00:00:00Z"),
            "scheduled", "scheduled__2025-01-30T00:00:00+00:00"));
    }

    [Theory]
    [InlineData("trigger", true, new[] { "2025-01-29T00:00Z", "2025-01-30T00:00Z", "2025-01-31T00:00Z" })]
    [InlineData("trigger", false, new[] { "2025-01-31T00:00Z" })]
    [InlineData("dataInterval", true, new[] { "2025-01-29T00:00Z", "2025-01-30T00:00Z" })]
    [InlineData("dataInterval", false, new[] { "2025-01-30T00:00Z" })]
    public void Due_AfterAnOutage_CatchupDecidesBetweenAllMissedAndNewest(string timetable, bool catchup, string[] expected)
    {
        var plan = Build("@daily", timetable, catchup).Due(At("2025-01-28T00:00:00Z"), At(FirstEvaluated), 1000);

        plan.Runs.Select(r => Iso(r.LogicalDate)).Should().Equal(expected);
        plan.NextRunTime.Should().Be(At("2025-02-01T00:00:00Z"));
    }

    [Theory]
    [InlineData("trigger", "2025-01-31T00:00:00Z")]
    [InlineData("dataInterval", "2025-01-30T00:00:00Z")]
    public void Due_NewestRunAlreadyCreated_NothingUntilNextPoint(string timetable, string lastLogicalDate)
    {
        foreach (var catchup in new[] { false, true })
        {
            var plan = Build("@daily", timetable, catchup).Due(At(lastLogicalDate), At(FirstEvaluated), 1000);

            plan.Runs.Should().BeEmpty();
            plan.NextRunTime.Should().Be(At("2025-02-01T00:00:00Z"));
        }
    }

    [Theory]
    [InlineData("trigger", "2025-01-02T00:00Z", "2025-01-02T00:00:00Z")]
    [InlineData("dataInterval", "2025-01-02T00:00Z", "2025-01-03T00:00:00Z")]
    public void Due_StartDateBetweenPoints_AlignsUpToNextPoint(string timetable, string firstLogicalDate, string firstRunAfter)
    {
        var timetableWithLateStart = Build("@daily", timetable, catchup: true, start: "2025-01-01T10:00:00Z");

        var plan = timetableWithLateStart.Due(null, At("2025-01-05T12:00:00Z"), 100);

        Iso(plan.Runs[0].LogicalDate).Should().Be(firstLogicalDate);
        plan.Runs[0].RunAfter.Should().Be(At(firstRunAfter));
    }

    [Theory]
    [InlineData("trigger", false, "2025-03-01T00:00:00Z")]
    [InlineData("trigger", true, "2025-03-01T00:00:00Z")]
    [InlineData("dataInterval", false, "2025-03-02T00:00:00Z")]
    [InlineData("dataInterval", true, "2025-03-02T00:00:00Z")]
    public void Due_StartDateInFuture_NothingDueAndNextRunIsTheFirstPoint(string timetable, bool catchup, string nextRunTime)
    {
        var plan = Build("@daily", timetable, catchup, start: "2025-03-01T00:00:00Z").Due(null, At(FirstEvaluated), 100);

        plan.Runs.Should().BeEmpty();
        plan.NextRunTime.Should().Be(At(nextRunTime));
    }

    [Theory]
    [InlineData("trigger", true, "2025-01-05T00:00:00Z", 5)]
    [InlineData("trigger", true, "2025-01-05T12:00:00Z", 5)]
    [InlineData("dataInterval", true, "2025-01-05T00:00:00Z", 5)]
    [InlineData("trigger", false, "2025-01-05T00:00:00Z", 1)]
    [InlineData("dataInterval", false, "2025-01-05T00:00:00Z", 1)]
    public void Due_EndDatePassed_LastRunIsTheInclusiveEndPoint(string timetable, bool catchup, string end, int count)
    {
        var plan = Build("@daily", timetable, catchup, end: end).Due(null, At(FirstEvaluated), 100);

        plan.Runs.Should().HaveCount(count);
        Iso(plan.Runs[^1].LogicalDate).Should().Be("2025-01-05T00:00Z");
        plan.NextRunTime.Should().BeNull();
        Build("@daily", timetable, catchup, end: end).Due(plan.Runs[^1].LogicalDate, At(FirstEvaluated), 100)
            .Should().Be(DuePlan.Nothing);
    }

    [Fact]
    public void Due_DecadeOfBacklog_CappedPassesContinueWithoutGapsOrDuplicates()
    {
        var timetable = Build("@daily", catchup: true, start: "2015-01-01T00:00:00Z");
        var now = At(FirstEvaluated);

        var first = timetable.Due(null, now, 100);

        first.Runs.Should().HaveCount(100);
        first.Capped.Should().BeTrue();
        Iso(first.Runs[0].LogicalDate).Should().Be("2015-01-01T00:00Z");
        Iso(first.Runs[^1].LogicalDate).Should().Be("2015-04-10T00:00Z");
        first.NextRunTime.Should().Be(At("2015-04-11T00:00:00Z"));

        var all = new List<DateTimeOffset>(first.Runs.Select(r => r.LogicalDate));
        var plan = first;
        while (plan.Capped)
        {
            plan = timetable.Due(all[^1], now, 100);
            all.AddRange(plan.Runs.Select(r => r.LogicalDate));
        }
        var expectedDays = (int)(At("2025-01-31T00:00:00Z") - At("2015-01-01T00:00:00Z")).TotalDays + 1;
        all.Should().HaveCount(expectedDays).And.OnlyHaveUniqueItems();
        all.Zip(all.Skip(1), (a, b) => b - a).Should().AllBeEquivalentTo(TimeSpan.FromDays(1));
        plan.NextRunTime.Should().Be(At("2025-02-01T00:00:00Z"));
    }

    [Fact]
    public void Due_CatchupFalseWithDecadeOldStart_RunsOnlyTheNewestMinute()
    {
        var plan = Build("* * * * *", start: "2015-01-01T00:00:00Z", timezone: "America/New_York")
            .Due(null, At("2025-01-31T15:00:30Z"), 100);

        plan.Runs.Select(r => Iso(r.LogicalDate)).Should().Equal("2025-01-31T15:00Z");
        plan.NextRunTime.Should().Be(At("2025-01-31T15:01:00Z"));
    }

    [Fact]
    public void Due_SameInputsTwice_SameRunIdsAndDagRunNames()
    {
        var timetable = Build("0 */6 * * *", "dataInterval", catchup: true);

        var first = timetable.Due(null, At(FirstEvaluated), 50).Runs.Select(r => r.DagRunName("etl")).ToList();
        var second = timetable.Due(null, At(FirstEvaluated), 50).Runs.Select(r => r.DagRunName("etl")).ToList();

        first.Should().HaveCount(50).And.OnlyHaveUniqueItems().And.Equal(second);
        first[0].Should().Be("etl-scheduled-20250101t000000");
    }

    [Fact]
    public void DagRunName_IsNamesDagRunNameOfTypeAndLogicalDate()
    {
        var run = Build("@daily").Due(null, At(FirstEvaluated), 1).Runs.Single();

        run.DagRunName("ml-pipeline").Should().Be(Names.DagRunName("ml-pipeline", "scheduled", At("2025-01-31T00:00:00Z")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Due_Once_OneRunAtStartDateWhateverCatchupSays(bool catchup)
    {
        var timetable = Build("@once", catchup: catchup, start: "2025-01-10T08:30:00Z");

        var plan = timetable.Due(null, At(FirstEvaluated), 100);

        plan.Runs.Should().Equal(new PlannedRun(
            At("2025-01-10T08:30:00Z"), At("2025-01-10T08:30:00Z"), At("2025-01-10T08:30:00Z"), At("2025-01-10T08:30:00Z"),
            "scheduled", "scheduled__2025-01-10T08:30:00+00:00"));
        plan.NextRunTime.Should().BeNull();
        timetable.Due(At("2025-01-10T08:30:00Z"), At(FirstEvaluated), 100).Should().Be(DuePlan.Nothing);
    }

    [Fact]
    public void Due_OnceWithDataIntervalTimetable_RunsAtStartDateWithZeroInterval()
    {
        var run = Build("@once", "dataInterval", start: "2025-01-10T08:30:00Z").Due(null, At(FirstEvaluated), 1).Runs.Single();

        run.DataIntervalEnd.Should().Be(run.DataIntervalStart);
        run.RunAfter.Should().Be(At("2025-01-10T08:30:00Z"));
    }

    [Fact]
    public void Due_OnceAfterAnyRun_NeverAgainEvenIfStartDateMovedLater()
    {
        var plan = Build("@once", start: "2025-01-20T00:00:00Z").Due(At("2025-01-10T00:00:00Z"), At(FirstEvaluated), 1);

        plan.Should().Be(DuePlan.Nothing);
    }

    [Fact]
    public void Due_OnceStartingLater_NothingYetNextRunIsStartDate()
    {
        var timetable = Build("@once", start: "2025-02-10T00:00:00Z");

        timetable.Due(null, At(FirstEvaluated), 1).Should().Be(DuePlan.NotYet(At("2025-02-10T00:00:00Z")));
        timetable.Upcoming(null, At(FirstEvaluated), 5).Select(r => r.LogicalDate).Should().Equal(At("2025-02-10T00:00:00Z"));
    }

    [Fact]
    public void Due_OnceWithoutStartDate_NeverRuns()
    {
        var timetable = Build("@once", start: null);

        timetable.Due(null, At(FirstEvaluated), 1).Should().Be(DuePlan.Nothing);
        timetable.Upcoming(null, At(FirstEvaluated), 5).Should().BeEmpty();
    }

    [Fact]
    public void Due_Continuous_OneRunAtNowEachTimeAsked()
    {
        var timetable = Build("@continuous", start: null);

        var first = timetable.Due(null, At("2025-01-31T15:00:00.750Z"), 10);
        var second = timetable.Due(first.Runs[0].LogicalDate, At("2025-01-31T15:07:12Z"), 10);

        first.Runs.Should().Equal(new PlannedRun(
            At("2025-01-31T15:00:00Z"), At("2025-01-31T15:00:00Z"), At("2025-01-31T15:00:00Z"), At("2025-01-31T15:00:00Z"),
            "scheduled", "scheduled__2025-01-31T15:00:00+00:00"));
        first.NextRunTime.Should().BeNull();
        second.Runs.Select(r => r.LogicalDate).Should().Equal(At("2025-01-31T15:07:12Z"));
    }

    [Fact]
    public void Due_ContinuousAskedTwiceInOneSecond_SecondRunWaitsForTheNextSecond()
    {
        var timetable = Build("@continuous", start: null);

        var plan = timetable.Due(At("2025-01-31T15:00:00Z"), At("2025-01-31T15:00:00.900Z"), 10);

        plan.Should().Be(DuePlan.NotYet(At("2025-01-31T15:00:01Z")));
    }

    [Theory]
    [InlineData("2025-02-01T00:00:00Z", null, 0, "2025-02-01T00:00:00Z")]
    [InlineData("2025-01-01T00:00:00Z", "2025-01-20T00:00:00Z", 0, null)]
    [InlineData("2025-01-01T00:00:00Z", "2025-02-20T00:00:00Z", 1, null)]
    public void Due_Continuous_RespectsStartAndEndDate(string start, string? end, int runs, string? next)
    {
        var plan = Build("@continuous", start: start, end: end).Due(null, At(FirstEvaluated), 10);

        plan.Runs.Should().HaveCount(runs);
        plan.NextRunTime.Should().Be(next is null ? null : At(next));
    }

    [Fact]
    public void Due_NoSchedule_ManualOnly()
    {
        var timetable = Build(null, catchup: true);

        timetable.Due(null, At(FirstEvaluated), 10).Should().Be(DuePlan.Nothing);
        timetable.Upcoming(null, At(FirstEvaluated), 10).Should().BeEmpty();
        timetable.Backfill(At("2025-01-01T00:00:00Z"), At("2025-01-31T00:00:00Z"), At(FirstEvaluated)).Should().BeEmpty();
    }

    [Fact]
    public void Due_EverySixHours_FixedDurationsFromStartDateIgnoringDst()
    {
        var points = Points("@every 6h", "America/New_York", "2025-03-08T01:30:00Z", "2025-03-10T01:30:00Z");

        points.Should().Equal(
            "2025-03-08T01:30Z", "2025-03-08T07:30Z", "2025-03-08T13:30Z", "2025-03-08T19:30Z",
            "2025-03-09T01:30Z", "2025-03-09T07:30Z", "2025-03-09T13:30Z", "2025-03-09T19:30Z",
            "2025-03-10T01:30Z");
    }

    [Theory]
    [InlineData("trigger", "2025-01-31T12:00:00Z", "2025-01-31T12:00:00Z")]
    [InlineData("dataInterval", "2025-01-31T06:00:00Z", "2025-01-31T12:00:00Z")]
    public void Due_EverySixHoursCatchupFalse_NewestDueInterval(string timetable, string logicalDate, string runAfter)
    {
        var run = Build("@every 6h", timetable).Due(null, At(FirstEvaluated), 10).Runs.Single();

        run.LogicalDate.Should().Be(At(logicalDate));
        run.DataIntervalEnd.Should().Be(At(runAfter));
        run.RunAfter.Should().Be(At(runAfter));
    }

    [Theory]
    [InlineData("trigger", new[] { "2025-02-01T00:00Z", "2025-02-02T00:00Z", "2025-02-03T00:00Z" }, "2025-02-01T00:00:00Z")]
    [InlineData("dataInterval", new[] { "2025-01-31T00:00Z", "2025-02-01T00:00Z", "2025-02-02T00:00Z" }, "2025-02-01T00:00:00Z")]
    public void Upcoming_NextPlannedRunsAfterNow_FirstIsDuesNextRunTime(string timetable, string[] logicalDates, string firstRunAfter)
    {
        var schedule = Build("@daily", timetable);
        var now = At(FirstEvaluated);
        var last = schedule.Due(null, now, 10).Runs[^1].LogicalDate;

        var upcoming = schedule.Upcoming(last, now, 3);

        upcoming.Select(r => Iso(r.LogicalDate)).Should().Equal(logicalDates);
        upcoming[0].RunAfter.Should().Be(At(firstRunAfter)).And.Be(schedule.Due(last, now, 10).NextRunTime!.Value);
        upcoming.Should().OnlyContain(r => r.RunAfter > now);
    }

    [Fact]
    public void Upcoming_EndDateInside_StopsAtInclusiveEnd()
    {
        var upcoming = Build("@daily", end: "2025-02-02T00:00:00Z").Upcoming(null, At(FirstEvaluated), 10);

        upcoming.Select(r => Iso(r.LogicalDate)).Should().Equal("2025-02-01T00:00Z", "2025-02-02T00:00Z");
    }

    [Theory]
    [InlineData("@daily", "trigger", "2025-01-25T01:00:00Z", "2025-01-25T01:00:00Z")]
    [InlineData("@daily", "dataInterval", "2025-01-24T00:00:00Z", "2025-01-25T00:00:00Z")]
    [InlineData("@every 6h", "dataInterval", "2025-01-24T18:00:00Z", "2025-01-25T00:00:00Z")]
    [InlineData(null, "dataInterval", "2025-01-25T01:00:00Z", "2025-01-25T01:00:00Z")]
    [InlineData("@once", "dataInterval", "2025-01-25T01:00:00Z", "2025-01-25T01:00:00Z")]
    public void Manual_InfersIntervalAndKeepsTriggerTimeAsLogicalDate(string? schedule, string timetable, string start, string end)
    {
        var run = Build(schedule, timetable).Manual(At("2025-01-25T02:00:00+01:00"));

        run.Should().Be(new PlannedRun(
            At("2025-01-25T01:00:00Z"), At(start), At(end), At("2025-01-25T01:00:00Z"),
            "manual", "manual__2025-01-25T01:00:00+00:00"));
        run.LogicalDate.Offset.Should().Be(TimeSpan.Zero);
    }

    [Theory]
    [InlineData("trigger", "2025-01-12T12:00:00Z", new[] { "2025-01-10T00:00Z", "2025-01-11T00:00Z", "2025-01-12T00:00Z" })]
    [InlineData("dataInterval", "2025-01-12T12:00:00Z", new[] { "2025-01-10T00:00Z", "2025-01-11T00:00Z" })]
    [InlineData("dataInterval", "2025-02-01T00:00:00Z", new[] { "2025-01-10T00:00Z", "2025-01-11T00:00Z", "2025-01-12T00:00Z" })]
    public void Backfill_PointsInRangeWhoseIntervalEnded(string timetable, string now, string[] logicalDates)
    {
        var runs = Build("@daily", timetable).Backfill(At("2025-01-09T12:00:00Z"), At("2025-01-12T00:00:00Z"), At(now));

        runs.Select(r => Iso(r.LogicalDate)).Should().Equal(logicalDates);
        runs.Should().OnlyContain(r => r.RunType == "backfill" && r.RunId == Names.RunId("backfill", r.LogicalDate));
    }

    [Fact]
    public void Backfill_RangeBeforeStartDate_IsTheUsersExplicitChoice()
    {
        var runs = Build("@daily", end: "2025-01-05T00:00:00Z")
            .Backfill(At("2024-12-30T00:00:00Z"), At("2025-01-07T00:00:00Z"), At(FirstEvaluated));

        runs.Select(r => Iso(r.LogicalDate)).Should().HaveCount(9).And.StartWith("2024-12-30T00:00Z").And.EndWith("2025-01-07T00:00Z");
        runs[0].RunId.Should().Be("backfill__2024-12-30T00:00:00+00:00");
    }

    [Fact]
    public void Create_ValidDag_ExposesWhatItRead()
    {
        var timetable = Build("0 2 * * *", "dataInterval", catchup: true, end: "2026-01-01T00:00:00Z", timezone: "Asia/Seoul");

        timetable.Schedule.Should().BeOfType<Schedule.Cron>();
        timetable.Kind.Should().Be(TimetableKind.DataInterval);
        timetable.TimeZone.Id.Should().Be("Asia/Seoul");
        timetable.StartDate.Should().Be(At("2025-01-01T00:00:00Z"));
        timetable.EndDate.Should().Be(At("2026-01-01T00:00:00Z"));
        timetable.Catchup.Should().BeTrue();
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("@once", null)]
    [InlineData("@continuous", 1)]
    [InlineData("@continuous", null)]
    public void Create_SchedulesThatNeedNoStartDate_AreValid(string? schedule, int? maxActiveRuns)
    {
        Timetable.Create(new DagSpec { Schedule = schedule, MaxActiveRuns = maxActiveRuns }).IsValid.Should().BeTrue();
    }

    [Theory]
    [InlineData("0 0 * *", null, null, "spec.schedule: invalid cron '0 0 * *': expected 5 fields")]
    [InlineData("@fortnightly", null, null, "spec.schedule: unknown preset '@fortnightly'")]
    [InlineData("0 0 30 2 *", null, null, "spec.schedule: cron '0 0 30 2 *' never matches")]
    [InlineData("@daily", "Mars/Olympus", null, "spec.timezone: unknown time zone 'Mars/Olympus' (expected an IANA name")]
    [InlineData("@daily", null, "interval", "spec.timetable: unknown timetable 'interval' (expected trigger or dataInterval)")]
    public void Create_InvalidField_ErrorNamesFieldAndAcceptedValues(string schedule, string? timezone, string? timetable, string error)
    {
        var result = Timetable.Create(new DagSpec
        {
            Schedule = schedule,
            Timezone = timezone,
            Timetable = timetable,
            StartDate = At("2025-01-01T00:00:00Z"),
        });

        result.IsValid.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.Should().StartWith(error);
    }

    [Theory]
    [InlineData("@daily")]
    [InlineData("@every 6h")]
    public void Create_CronOrIntervalWithoutStartDate_StartDateRequired(string schedule)
    {
        var result = Timetable.Create(new DagSpec { Schedule = schedule });

        result.Errors.Should().ContainSingle().Which.Should().StartWith($"spec.startDate is required for schedule '{schedule}'");
    }

    [Fact]
    public void Create_SeveralInvalidFields_ReportsEach()
    {
        var result = Timetable.Create(new DagSpec
        {
            Schedule = "@continuous",
            Timezone = "Nowhere/Land",
            Timetable = "airflow2",
            StartDate = At("2025-02-01T00:00:00Z"),
            EndDate = At("2025-01-01T00:00:00Z"),
            MaxActiveRuns = 4,
        });

        result.Timetable.Should().BeNull();
        result.Errors.Should().SatisfyRespectively(
            e => e.Should().StartWith("spec.timezone:"),
            e => e.Should().StartWith("spec.timetable:"),
            e => e.Should().Be("spec.endDate 2025-01-01T00:00:00+00:00 is before spec.startDate 2025-02-01T00:00:00+00:00"),
            e => e.Should().Be("spec.maxActiveRuns must be 1 for schedule @continuous (got 4)"));
    }
}
