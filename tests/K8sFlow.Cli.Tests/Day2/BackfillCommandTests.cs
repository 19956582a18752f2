using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster.JobRunner;

namespace K8sFlow.Cli.Tests.Day2;

/// <summary>k8sflow backfill against a local environment: exactly the runs of spec §1.7.</summary>
public sealed class BackfillCommandTests
{
    private static readonly DateTimeOffset Jan1 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A daily Dag whose startDate is ahead, so the scheduler creates nothing and every run here is the backfill's.</summary>
    private static Dag Daily() => Day2Environment.ChainDag("daily", "extract") with
    {
        Spec = Day2Environment.ChainDag("daily", "extract").Spec with { Schedule = "@daily", StartDate = DateTimeOffset.UtcNow.AddDays(30) },
    };

    private static string RunName(int day) => Names.DagRunName("daily", Names.RunTypes.Backfill, Jan1.AddDays(day - 1));

    [Fact]
    public async Task Backfill_CreatesOneBackfillRunPerDay_WithDeterministicNames()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Daily());

        var result = await env.CliAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03");

        result.ExitCode.Should().Be(0, result.Error);
        var runs = await env.RunsAsync("daily");
        runs.Select(r => r.Metadata.Name).Should().BeEquivalentTo([RunName(1), RunName(2), RunName(3)]);
        runs.Should().OnlyContain(r => r.Spec.RunType == "backfill" && r.Metadata.Labels![K8sFlowApi.Labels.Dag] == "daily");
        runs.Single(r => r.Metadata.Name == RunName(2)).Spec.LogicalDate.Should().Be(Jan1.AddDays(1));
    }

    [Fact]
    public async Task Backfill_ReprocessNone_SkipsDatesThatHaveARun_AndCreatesOnlyTheRest()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Daily());
        (await env.CliAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-02")).ExitCode.Should().Be(0);
        await env.WaitForAsync(KubeKinds.DagRun, runs => runs.Count == 2 && runs.All(r => r.Status?.Phase == RunPhase.Succeeded), "both runs to succeed");

        var result = await env.CliAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03", "--reprocess", "none");

        result.ExitCode.Should().Be(0, result.Error);
        result.OutputLines.Should().Equal(
            $"skipped 2026-01-01T00:00:00+00:00: run {RunName(1)} Succeeded (reprocess none)",
            $"skipped 2026-01-02T00:00:00+00:00: run {RunName(2)} Succeeded (reprocess none)",
            $"created {RunName(3)} (backfill__2026-01-03T00:00:00+00:00)");
        (await env.RunsAsync("daily")).Should().HaveCount(3);
    }

    [Fact]
    public async Task Backfill_ReprocessCompleted_ReRunsASucceededDate_InItsPlace()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Daily());
        (await env.CliAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-01")).ExitCode.Should().Be(0);
        var first = await env.WaitForRunAsync(RunName(1), r => r.Status?.Phase == RunPhase.Succeeded, "Succeeded");

        var result = await env.CliAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-01", "--reprocess", "completed");

        result.ExitCode.Should().Be(0, result.Error);
        var again = await env.WaitForRunAsync(RunName(1), r => r.Status?.Phase == RunPhase.Succeeded, "Succeeded again");
        again.Metadata.Uid.Should().NotBe(first.Metadata.Uid, "the date was re-run as a new run of the same name");
    }

    [Fact]
    public async Task Backfill_MaxActiveRuns_CreatesTheNextRunOnlyOnceASlotIsFree()
    {
        // Each task takes a second, so a backfill that did not wait would return with its runs still unfinished.
        await using var env = await Day2Environment.StartAsync((_, _) => new SimulatedOutcome { Duration = TimeSpan.FromSeconds(1) });
        await env.CreateDagAsync(Daily());

        var result = await env.CliAsync("backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03", "--max-active-runs", "1");
        var runs = (await env.RunsAsync("daily")).ToDictionary(r => r.Metadata.Name!);

        result.ExitCode.Should().Be(0, result.Error);
        runs.Keys.Should().BeEquivalentTo([RunName(1), RunName(2), RunName(3)]);
        runs[RunName(1)].Status!.Phase.Should().Be(RunPhase.Succeeded, "run 2 was created only after run 1 finished");
        runs[RunName(2)].Status!.Phase.Should().Be(RunPhase.Succeeded, "run 3 was created only after run 2 finished");
    }

    [Theory]
    [InlineData("--from", "yesterday", "--from 'yesterday' is not a date")]
    [InlineData("--reprocess", "all", "all")]
    public async Task Backfill_InvalidOption_ExitsTwoOrUsageError_AndCreatesNothing(string option, string value, string message)
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Daily());
        string[] args = ["backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-02"];
        var index = Array.IndexOf(args, option);
        args = index >= 0 ? [.. args.Take(index + 1), value, .. args.Skip(index + 2)] : [.. args, option, value];

        var result = await env.CliAsync(args);

        result.ExitCode.Should().BeOneOf(1, 2);
        result.Error.Should().Contain(message);
        (await env.RunsAsync("daily")).Should().BeEmpty();
    }
}
