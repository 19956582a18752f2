using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Queue;
using static K8sFlow.Operator.Tests.DagController.DagControllerHarness;

namespace K8sFlow.Operator.Tests.DagController;

/// <summary>Restarts, outages and failed writes: never a run twice, never a run lost.</summary>
public sealed class DagRecoveryTests
{
    [Theory]
    [InlineData(false, new[] { "2025-01-01T00:00Z", "2025-01-06T00:00Z" })]
    [InlineData(true, new[] { "2025-01-01T00:00Z", "2025-01-02T00:00Z", "2025-01-03T00:00Z", "2025-01-04T00:00Z", "2025-01-05T00:00Z", "2025-01-06T00:00Z" })]
    public async Task Outage_CatchupDecidesBetweenEveryMissedRunAndTheNewest(bool catchup, string[] expected)
    {
        await using var harness = await StartAsync("2025-01-01T12:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily", catchup: catchup));
        await harness.RunDueAsync();
        await harness.StopAsync();

        harness.Time.Advance(TimeSpan.FromDays(5));
        await harness.RestartAsync();
        await harness.RunDueAsync();

        (await harness.LogicalDatesAsync()).Should().Equal(expected);
        harness.RunCreates.Should().Be(expected.Length);
        (await harness.StatusAsync("etl")).NextRunTime.Should().Be(At("2025-01-07T00:00:00Z"));
    }

    [Fact]
    public async Task Restart_NewInstanceOverTheSameObjects_CreatesNoRunTwice()
    {
        await using var harness = await StartAsync("2026-01-01T05:30:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@hourly", start: "2026-01-01T00:00:00Z", catchup: true));
        await harness.RunDueAsync();
        (await harness.RunsAsync()).Should().HaveCount(6);
        var writes = harness.StatusWrites;

        await harness.RestartAsync();
        await harness.RunDueAsync();

        harness.RunCreates.Should().Be(6, "the new instance finds every run it would create");
        harness.StatusWrites.Should().Be(writes, "the status it finds is already current");

        await harness.AdvanceToAsync(At("2026-01-01T06:00:00Z"));

        (await harness.RunNamesAsync()).Should().HaveCount(7).And.OnlyHaveUniqueItems().And.EndWith("etl-scheduled-20260101t060000");
        harness.RunCreates.Should().Be(7);
    }

    [Theory]
    [InlineData(500, "InternalError", RequeueKind.Backoff)]
    [InlineData(409, "Conflict", RequeueKind.Now)]
    public async Task LostStatusWrite_ThenRestart_ExistingRunsAreFound_NoneCreatedAgain(int code, string reason, RequeueKind retry)
    {
        await using var harness = await StartAsync("2025-01-05T12:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily", catchup: true));
        harness.Api.FailNext("PUT dags/status", code, reason);

        var first = await harness.ReconcileAsync("etl");

        first.Kind.Should().Be(retry);
        (await harness.RunsAsync()).Should().HaveCount(5);
        (await harness.StatusAsync("etl")).LastScheduledLogicalDate.Should().BeNull("the write was lost");

        await harness.RestartAsync();
        await harness.RunDueAsync();

        harness.RunCreates.Should().Be(5, "the runs, not the lost status, say how far scheduling got");
        var status = await harness.StatusAsync("etl");
        status.LastScheduledLogicalDate.Should().Be(At("2025-01-05T00:00:00Z"));
        status.NextRunTime.Should().Be(At("2025-01-06T00:00:00Z"));
    }

    [Fact]
    public async Task CreateRefused_StatusNamesTheRun_TheRetryContinuesFromThere()
    {
        await using var harness = await StartAsync("2025-01-05T12:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily", catchup: true));
        harness.Api.FailNext("POST dagruns default/etl-scheduled-20250103", 403, "Forbidden");

        var first = await harness.ReconcileAsync("etl");

        first.Kind.Should().Be(RequeueKind.Backoff);
        first.Reason.Should().Contain("etl-scheduled-20250103t000000");
        var failed = await harness.StatusAsync("etl");
        failed.Message.Should().Be("creating DagRun etl-scheduled-20250103t000000 failed (403 Forbidden: injected 403 Forbidden); retrying");
        failed.LastScheduledLogicalDate.Should().Be(At("2025-01-02T00:00:00Z"));
        failed.Conditions!.Single(c => c.Type == "Ready").Status.Should().Be("True", "the Dag itself is fine");
        (await harness.LogicalDatesAsync()).Should().Equal("2025-01-01T00:00Z", "2025-01-02T00:00Z");

        await harness.AdvanceAsync(RetryBackoff);

        (await harness.LogicalDatesAsync()).Should().HaveCount(5).And.EndWith("2025-01-05T00:00Z");
        harness.RunCreates.Should().Be(6, "five runs and the one refused attempt");
        (await harness.StatusAsync("etl")).Message.Should().BeNull();
    }

    [Fact]
    public async Task RunNameAlreadyTaken_CountsAsCreated()
    {
        await using var harness = await StartAsync("2025-01-05T12:00:00Z");
        // Same name, but nothing in it says it is a scheduled run (e.g. made by hand): only the name answers.
        await harness.Api.CreateAsync(KubeKinds.DagRun, new DagRun
        {
            Metadata = new ObjectMeta { Name = "etl-scheduled-20250105t000000", Namespace = DagControllerHarness.Ns },
            Spec = new DagRunSpec { DagName = "etl" },
        });
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily"));

        await harness.RunDueAsync();

        harness.Results.Should().OnlyContain(r => r.Result.Kind != RequeueKind.Backoff);
        (await harness.RunsAsync()).Should().ContainSingle();
        (await harness.StatusAsync("etl")).LastScheduledLogicalDate.Should().Be(At("2025-01-05T00:00:00Z"));
        harness.NextDue().Should().Be(At("2025-01-06T00:00:00Z"));
    }

    [Fact]
    public async Task DeletedDag_ItsRunsStay()
    {
        await using var harness = await StartAsync("2025-01-03T12:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("etl", "@daily", catchup: true));
        await harness.RunDueAsync();

        await harness.Api.DeleteAsync(KubeKinds.Dag, DagControllerHarness.Ns, "etl");
        var result = await harness.ReconcileAsync("etl");
        await harness.AdvanceAsync(TimeSpan.FromDays(2));

        result.Should().Be(ReconcileResult.Done);
        (await harness.RunsAsync()).Should().HaveCount(3);
        harness.Api.Requests.Should().NotContain(r => r.StartsWith("DELETE dagruns", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Continuous_CreatedRunNotYetInTheCache_NoSecondRun()
    {
        await using var harness = await StartAsync("2026-01-01T10:00:00Z");
        await harness.ApplyAsync(TestDags.Scheduled("loop", "@continuous", start: "2026-01-01T00:00:00Z", maxActiveRuns: 1));
        harness.Api.HoldWatchEvents(KubeKinds.DagRun);

        await harness.ReconcileAsync("loop");
        harness.Time.Advance(TimeSpan.FromSeconds(5));
        await harness.ReconcileAsync("loop");

        (await harness.RunNamesAsync()).Should().Equal(["loop-scheduled-20260101t100000"],
            "the controller remembers the run it created until its informer shows it");

        harness.Api.ReleaseWatchEvents(KubeKinds.DagRun);
        await harness.AdvanceAsync(TimeSpan.FromMinutes(10));

        (await harness.RunsAsync()).Should().HaveCount(1);
        (await harness.StatusAsync("loop")).Message.Should().Be("@continuous: the next run is created when loop-scheduled-20260101t100000 ends");
    }
}
