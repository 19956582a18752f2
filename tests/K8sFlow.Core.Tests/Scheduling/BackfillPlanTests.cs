using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;

namespace K8sFlow.Core.Tests.Scheduling;

public sealed class BackfillPlanTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static PlannedRun Date(DateTimeOffset day) => new(day, day, day.AddDays(1), day.AddDays(1), Names.RunTypes.Backfill,
        Names.RunId(Names.RunTypes.Backfill, day));

    [Theory]
    // existing phase ("" = no run, "-" = not yet picked up), reprocess, expected create
    [InlineData("", Reprocess.None, true)]
    [InlineData("Succeeded", Reprocess.None, false)]
    [InlineData("Failed", Reprocess.None, false)]
    [InlineData("Failed", Reprocess.Failed, true)]
    [InlineData("Succeeded", Reprocess.Failed, false)]
    [InlineData("Succeeded", Reprocess.Completed, true)]
    [InlineData("Failed", Reprocess.Completed, true)]
    [InlineData("Running", Reprocess.Completed, false)]
    [InlineData("Queued", Reprocess.Completed, false)]
    [InlineData("-", Reprocess.Completed, false)]
    public void Plan_ExistingRunOfTheDate_FollowsTheReprocessRule(string phase, Reprocess reprocess, bool create)
    {
        IReadOnlyList<ExistingRun> existing = phase == "" ? [] :
            [new ExistingRun("etl-scheduled-x", Day1, phase == "-" ? null : Enum.Parse<RunPhase>(phase))];

        var plan = BackfillPlan.Plan("etl", [Date(Day1)], existing, reprocess);

        plan.Should().ContainSingle().Which.Create.Should().Be(create, plan[0].Reason);
    }

    [Fact]
    public void Plan_ReRunningAnEarlierBackfillRun_ReplacesIt_SinceItHoldsTheName()
    {
        var name = Names.DagRunName("etl", Names.RunTypes.Backfill, Day1);

        var plan = BackfillPlan.Plan("etl", [Date(Day1)], [new ExistingRun(name, Day1, RunPhase.Failed)], Reprocess.Failed);

        plan.Single().Should().Be(plan.Single() with { Create = true, Replaces = name });
    }

    [Fact]
    public void Plan_OnlyTheDatesWithoutRuns_AreCreated_InDateOrder()
    {
        var days = Enumerable.Range(0, 3).Select(i => Date(Day1.AddDays(i))).ToList();

        var plan = BackfillPlan.Plan("etl", days, [new ExistingRun("etl-scheduled-2", Day1.AddDays(1), RunPhase.Succeeded)], Reprocess.None);

        plan.Where(d => d.Create).Select(d => d.Run.LogicalDate).Should().Equal(Day1, Day1.AddDays(2));
    }

    [Theory]
    [InlineData(null, Reprocess.None)]
    [InlineData("none", Reprocess.None)]
    [InlineData("failed", Reprocess.Failed)]
    [InlineData("completed", Reprocess.Completed)]
    [InlineData("all", null)]
    public void ReprocessModes_Parse(string? text, Reprocess? expected) => ReprocessModes.Parse(text).Should().Be(expected);
}
