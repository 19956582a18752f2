using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>An operator that dies mid-run leaves nothing a new instance would run twice.</summary>
public sealed class RestartTests
{
    /// <summary>What happens while no operator runs.</summary>
    public enum Outage
    {
        /// <summary>Nothing: the held task is still running when the new instance starts.</summary>
        TaskStillRunning,

        /// <summary>The held task finishes before the new instance starts.</summary>
        TaskFinishes,

        /// <summary>The run's status is as if no status write of the old instance had ever landed (Jobs exist all the same).</summary>
        StatusWritesLost,
    }

    [Theory]
    [InlineData(Outage.TaskStillRunning)]
    [InlineData(Outage.TaskFinishes)]
    [InlineData(Outage.StatusWritesLost)]
    public async Task OperatorStoppedMidRun_NewInstanceFinishesTheRun_NoAttemptCreatedOrRunTwice(Outage outage)
    {
        var tasks = new SimulatedTasks();
        var transform = tasks.Hold("transform");
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        var first = await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("etl", Chain("extract", "transform", "load")));
        await cluster.CreateAsync(Run("etl-1", "etl"));

        // transform's pod runs (held by the runner) and the run says so: stop the operator now.
        await transform.Started.WaitAsync(OperatorCluster.Patience);
        await cluster.WaitForRunAsync("etl-1", r => OperatorCluster.TasksOf(r).GetValueOrDefault("transform")?.Job is not null, "transform's Job in the status");
        await cluster.StopOperatorAsync(first);
        switch (outage)
        {
            case Outage.TaskFinishes:
                transform.Release();
                await cluster.View.WaitForAsync(() => cluster.View.Jobs.Get(OperatorCluster.Ns, Names.TaskJobName("etl-1", "transform", 1)) is { } job
                    && job.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true ? job : null, "transform's Job complete");
                break;
            case Outage.StatusWritesLost:
                var run = await cluster.Client.GetAsync(KubeKinds.DagRun, OperatorCluster.Ns, "etl-1");
                await cluster.Client.ReplaceStatusAsync(KubeKinds.DagRun, run with { Status = new DagRunStatus() });
                break;
        }
        await cluster.StartOperatorAsync();
        transform.Release();
        var finished = await cluster.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        OperatorCluster.TasksOf(finished).Values.Should().OnlyContain(t => t.State == TaskState.Success && t.TryNumber == 1);
        cluster.View.JobsOf("etl-1").Select(j => j.Metadata.Name).Should().BeEquivalentTo(
            new[] { "extract", "transform", "load" }.Select(task => Names.TaskJobName("etl-1", task, 1)));
        (await cluster.JobsCreatedAsync(atLeast: 3)).Should().Be(3, "each attempt's Job is created once");
        cluster.View.JobsRecreated.Should().BeEmpty();
        tasks.Starts.Select(s => (s.TaskLabel, s.TryNumber)).Should().BeEquivalentTo([("extract", 1), ("transform", 1), ("load", 1)]);
    }
}
