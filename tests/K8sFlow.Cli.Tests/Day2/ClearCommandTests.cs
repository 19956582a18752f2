using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster.JobRunner;

namespace K8sFlow.Cli.Tests.Day2;

/// <summary>k8sflow clear against a local environment: Airflow's "retry a failed run" (spec §12).</summary>
public sealed class ClearCommandTests
{
    [Fact]
    public async Task ClearOnlyFailed_ReRunsJustTheFailedTasks_AndTheRunEndsSucceeded()
    {
        // flaky fails its first try (no retries), so the run fails; after the clear its next try succeeds.
        await using var env = await Day2Environment.StartAsync((task, tryNumber) =>
            task == "flaky" && tryNumber == 1 ? new SimulatedOutcome { ExitCode = 1 } : null);
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "flaky", "report"));
        var triggered = await env.CliAsync("trigger", "etl", "--wait");
        var run = triggered.OutputLines.Single();

        var result = await env.CliAsync("clear", run, "--task", "extract", "--downstream", "--only-failed");
        var final = await env.WaitForRunAsync(run, r => r.Status?.ClearedRequestId is not null && r.Status.Phase is RunPhase.Succeeded or RunPhase.Failed,
            "a final phase after the clear");

        triggered.ExitCode.Should().Be(1, "flaky's first try fails the run");
        result.ExitCode.Should().Be(0, result.Error);
        result.Output.Should().Contain("cleared flaky, report");
        final.Status!.Phase.Should().Be(RunPhase.Succeeded);
        var tasks = final.Status.Tasks!.ToDictionary(t => t.Name);
        tasks["extract"].Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Success && t.TryNumber == 1);
        tasks["flaky"].Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Success && t.TryNumber == 2 && t.ClearedTries == 1);
        tasks["report"].Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Success && t.TryNumber == 1);
        var jobs = await env.Client.ListAsync(KubeKinds.Job, Day2Environment.Namespace, cancellationToken: Day2Environment.Deadline());
        jobs.Items.Count(j => j.Metadata.Name!.Contains("-extract-", StringComparison.Ordinal)).Should().Be(1, "succeeded tasks are not re-run");
    }

    [Fact]
    public async Task Clear_UnknownTask_ExitsTwo_ListingTheTasks()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load"));
        var run = (await env.CliAsync("trigger", "etl", "--wait")).OutputLines.Single();

        var result = await env.CliAsync("clear", run, "--task", "transform");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("task transform is not in the run's Dag (its tasks: extract, load)");
    }
}
