using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.Operator.Controllers.Dags;
using K8sFlow.Operator.Queue;
using static K8sFlow.Operator.Tests.DagController.DagControllerHarness;

namespace K8sFlow.Operator.Tests.DagController;

public sealed class DagSchedulingTests
{
    [Fact]
    public async Task Cron_ClockAdvances_EachRunIsCreatedWhenDue()
    {
        await using var harness = await StartAsync("2026-01-01T00:30:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "0 * * * *", start: "2026-01-01T00:00:00Z"));

        await harness.RunDueAsync();

        (await harness.RunNamesAsync()).Should().Equal("etl-scheduled-20260101t000000");
        harness.NextDue().Should().Be(At("2026-01-01T01:00:00Z"), "the Dag is requeued for its next run");
        harness.Results[^1].Result.Should().Be(ReconcileResult.After(TimeSpan.FromMinutes(30)));

        await harness.AdvanceAsync(TimeSpan.FromMinutes(29));
        (await harness.RunsAsync()).Should().HaveCount(1);

        await harness.AdvanceToAsync(At("2026-01-01T03:00:00Z"));

        (await harness.RunNamesAsync()).Should().Equal(
            "etl-scheduled-20260101t000000", "etl-scheduled-20260101t010000", "etl-scheduled-20260101t020000", "etl-scheduled-20260101t030000");
        harness.RunCreates.Should().Be(4);
        (await harness.StatusAsync("etl")).LastScheduledLogicalDate.Should().Be(At("2026-01-01T03:00:00Z"));
    }

    [Fact]
    public async Task RunAsync_WorkersOnTheFakeClock_TheRequeueFiresAndTheNextRunIsCreated()
    {
        await using var harness = await StartAsync("2026-01-01T00:30:00Z");
        using var stop = new CancellationTokenSource();
        var workers = harness.Controller.RunAsync(stop.Token);
        await harness.ApplyAsync(TestDags.Scheduled("etl", "0 * * * *", start: "2026-01-01T00:00:00Z"));

        await harness.Api.WaitUntilAsync(() => harness.Api.Exists(KubeKinds.DagRun, Ns, "etl-scheduled-20260101t000000"));
        await harness.Time.WaitForTimerDueInAsync(TimeSpan.FromMinutes(30));
        harness.Time.Advance(TimeSpan.FromMinutes(30));
        await harness.Api.WaitUntilAsync(() => harness.Api.Exists(KubeKinds.DagRun, Ns, "etl-scheduled-20260101t010000"));

        await stop.CancelAsync();
        await workers.WaitAsync(TestWait.Bound);
        (await harness.RunNamesAsync()).Should().Equal("etl-scheduled-20260101t000000", "etl-scheduled-20260101t010000");
    }

    [Fact]
    public async Task ScheduledRun_CarriesDatesLabelsAndRunId_AndNoOwnerReference()
    {
        await using var harness = await StartAsync("2026-01-01T07:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "0 */6 * * *", start: "2026-01-01T00:00:00Z", timetable: "dataInterval"));

        await harness.RunDueAsync();

        var run = (await harness.RunsAsync()).Should().ContainSingle().Subject;
        run.Metadata.Name.Should().Be("etl-scheduled-20260101t000000");
        run.Spec.Should().BeEquivalentTo(new DagRunSpec
        {
            DagName = "etl",
            RunType = "scheduled",
            LogicalDate = At("2026-01-01T00:00:00Z"),
            DataIntervalStart = At("2026-01-01T00:00:00Z"),
            DataIntervalEnd = At("2026-01-01T06:00:00Z"),
            RunAfter = At("2026-01-01T06:00:00Z"),
        });
        run.Metadata.Labels.Should().Equal(new Dictionary<string, string>
        {
            [K8sFlowApi.Labels.Dag] = "etl",
            [K8sFlowApi.Labels.RunType] = "scheduled",
            [K8sFlowApi.Labels.ManagedBy] = "k8sflow",
        });
        run.Metadata.Annotations.Should().Equal(new Dictionary<string, string> { [K8sFlowApi.Annotations.RunId] = "scheduled__2026-01-01T00:00:00+00:00" });
        run.Metadata.OwnerReferences.Should().BeNull("deleting the Dag must not delete its run history");
    }

    [Fact]
    public async Task Status_ShowsReadyLastAndNextRuns_AndAnUnchangedPassWritesNothing()
    {
        await using var harness = await StartAsync("2026-01-01T07:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "0 */6 * * *", start: "2026-01-01T00:00:00Z", timetable: "dataInterval"));

        await harness.RunDueAsync();

        (await harness.StatusAsync("etl")).Should().BeEquivalentTo(new DagStatus
        {
            ObservedGeneration = 1,
            Conditions =
            [
                new Condition
                {
                    Type = "Ready", Status = "True", Reason = "Valid", Message = "the Dag is valid",
                    LastTransitionTime = At("2026-01-01T07:00:00Z"), ObservedGeneration = 1,
                },
            ],
            LastScheduledLogicalDate = At("2026-01-01T00:00:00Z"),
            LastRunTime = At("2026-01-01T07:00:00Z"),
            NextRunTime = At("2026-01-01T12:00:00Z"),
            NextRuns =
            [
                "2026-01-01T12:00:00+00:00 (logical date 2026-01-01T06:00:00+00:00)",
                "2026-01-01T18:00:00+00:00 (logical date 2026-01-01T12:00:00+00:00)",
                "2026-01-02T00:00:00+00:00 (logical date 2026-01-01T18:00:00+00:00)",
            ],
        });
        var writes = harness.StatusWrites;

        await harness.AdvanceAsync(TimeSpan.FromHours(1));
        var result = await harness.ReconcileAsync("etl");

        result.Should().Be(ReconcileResult.After(TimeSpan.FromHours(4)));
        harness.StatusWrites.Should().Be(writes, "nothing changed, so nothing is written (no watch-event loop)");
    }

    [Theory]
    [InlineData("trigger", 31, "2025-01-01T00:00Z", "2025-01-31T00:00Z")]
    [InlineData("dataInterval", 30, "2025-01-01T00:00Z", "2025-01-30T00:00Z")]
    public async Task Catchup_SpecExample_CreatesEveryMissedRunCappedPerPass(string timetable, int count, string first, string last)
    {
        // Spec §1.4: @daily UTC, startDate 2025-01-01, first unpaused 2025-01-31 15:00, no earlier runs.
        await using var harness = await StartAsync("2025-01-31T15:00:00Z", new DagControllerOptions { MaxRunsPerPass = 10 });
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily", catchup: true, timetable: timetable));

        var firstPass = await harness.ReconcileAsync("etl");

        firstPass.Kind.Should().Be(RequeueKind.Now, "the rest follow at once");
        (await harness.RunsAsync()).Should().HaveCount(10);
        var capped = await harness.StatusAsync("etl");
        capped.Message.Should().Be($"created 10 of {count} missed runs; more on the next pass");
        capped.LastScheduledLogicalDate.Should().Be(At("2025-01-10T00:00:00Z"));

        await harness.RunDueAsync();

        var dates = await harness.LogicalDatesAsync();
        dates.Should().HaveCount(count).And.OnlyHaveUniqueItems();
        dates[0].Should().Be(first);
        dates[^1].Should().Be(last);
        harness.RunCreates.Should().Be(count, "every pass continues where the last one stopped");
        var status = await harness.StatusAsync("etl");
        status.Message.Should().BeNull();
        status.NextRunTime.Should().Be(At("2025-02-01T00:00:00Z"));
        harness.NextDue().Should().Be(At("2025-02-01T00:00:00Z"));
    }

    [Fact]
    public async Task Catchup_DecadeOfMinutes_MessageCountsUpToTheLimit()
    {
        await using var harness = await StartAsync("2025-01-31T15:00:30Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "* * * * *", start: "2015-01-01T00:00:00Z", catchup: true));

        await harness.ReconcileAsync("etl");

        (await harness.StatusAsync("etl")).Message.Should().Be("created 100 of more than 10000 missed runs; more on the next pass");
        (await harness.RunsAsync()).Should().HaveCount(100);
    }

    [Theory]
    [InlineData(false, new[] { "2025-01-02T00:00Z", "2025-01-06T00:00Z" })]
    [InlineData(true, new[] { "2025-01-01T00:00Z", "2025-01-02T00:00Z", "2025-01-03T00:00Z", "2025-01-04T00:00Z", "2025-01-05T00:00Z", "2025-01-06T00:00Z" })]
    public async Task Paused_CreatesNothing_UnpauseFollowsCatchup(bool catchup, string[] expected)
    {
        await using var harness = await StartAsync("2025-01-02T06:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily", catchup: catchup));
        await harness.RunDueAsync();
        (await harness.LogicalDatesAsync()).Should().HaveCount(catchup ? 2 : 1);

        await harness.EditAsync("etl", spec => spec with { Paused = true });
        await harness.AdvanceToAsync(At("2025-01-06T06:00:00Z"));

        var paused = await harness.StatusAsync("etl");
        paused.Message.Should().Be($"paused: no new runs are created; unpausing creates {(catchup ? "every missed run" : "only the newest missed run")}");
        paused.NextRunTime.Should().BeNull();
        paused.NextRuns.Should().BeNull();
        harness.NextDue().Should().BeNull("a paused Dag waits for its next edit, not for the clock");
        (await harness.LogicalDatesAsync()).Should().HaveCount(catchup ? 2 : 1);

        await harness.EditAsync("etl", spec => spec with { Paused = false });
        await harness.RunDueAsync();

        (await harness.LogicalDatesAsync()).Should().Equal(expected);
    }

    [Fact]
    public async Task Continuous_NewRunOnlyWhenNoRunOfTheDagIsActive()
    {
        await using var harness = await StartAsync("2026-01-01T10:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("loop", "@continuous", start: "2026-01-01T00:00:00Z", maxActiveRuns: 1));

        await harness.RunDueAsync();

        (await harness.RunNamesAsync()).Should().Equal("loop-scheduled-20260101t100000");
        (await harness.StatusAsync("loop")).Message.Should().Be("@continuous: the next run is created when loop-scheduled-20260101t100000 ends");

        await harness.SetRunPhaseAsync("loop-scheduled-20260101t100000", RunPhase.Running);
        await harness.AdvanceAsync(TimeSpan.FromMinutes(5));
        (await harness.RunsAsync()).Should().HaveCount(1, "the first run is still active");

        // Any run of the Dag counts, also a hand-made manual run without labels.
        await harness.Api.CreateAsync(KubeKinds.DagRun, new DagRun
        {
            Metadata = new ObjectMeta { Name = "loop-by-hand", Namespace = DagControllerHarness.Ns },
            Spec = new DagRunSpec { DagName = "loop" },
        });
        await harness.SetRunPhaseAsync("loop-scheduled-20260101t100000", RunPhase.Succeeded);
        await harness.RunDueAsync();

        (await harness.RunsAsync()).Should().HaveCount(2);
        (await harness.StatusAsync("loop")).Message.Should().Be("@continuous: the next run is created when loop-by-hand ends");

        await harness.AdvanceAsync(TimeSpan.FromMinutes(1));
        await harness.SetRunPhaseAsync("loop-by-hand", RunPhase.Failed);
        await harness.RunDueAsync();

        (await harness.RunNamesAsync()).Should().Equal("loop-by-hand", "loop-scheduled-20260101t100000", "loop-scheduled-20260101t100600");
        (await harness.StatusAsync("loop")).LastScheduledLogicalDate.Should().Be(At("2026-01-01T10:06:00Z"));
    }

    [Theory]
    [InlineData(null, new string[0], "no schedule: runs are created manually")]
    [InlineData("@once", new[] { "once-scheduled-20260101t080000" }, "no further scheduled runs (endDate passed or @once done)")]
    public async Task NoFurtherRuns_StatusSaysWhy_AndNothingIsRequeued(string? schedule, string[] runs, string message)
    {
        await using var harness = await StartAsync("2026-01-01T12:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("once", schedule, start: "2026-01-01T08:00:00Z"));

        await harness.RunDueAsync();
        await harness.AdvanceAsync(TimeSpan.FromDays(3));

        (await harness.RunNamesAsync()).Should().Equal(runs);
        var status = await harness.StatusAsync("once");
        status.Message.Should().Be(message);
        status.NextRunTime.Should().BeNull();
        status.NextRuns.Should().BeNull();
        harness.Results[^1].Result.Should().Be(ReconcileResult.Done);
    }
}
