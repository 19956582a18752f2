using K8sFlow.Core.Api;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>Parallel branches under maxActiveTasksPerRun: never more Jobs at once than allowed.</summary>
public sealed class FanOutTests
{
    [Fact]
    public async Task FanOut_MaxTwoActiveTasks_ThirdBranchWaitsForAFreeSlot_JoinRunsAfterAll()
    {
        var tasks = new SimulatedTasks();
        var first = tasks.Hold("transform_a");
        var second = tasks.Hold("transform_b");
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("fan", new DagSpec
        {
            MaxActiveTasksPerRun = 2,
            Tasks = [Task("extract"), Task("transform_a", "extract"), Task("transform_b", "extract"), Task("transform_c", "extract"),
                Task("load", "transform_a", "transform_b", "transform_c")],
        }));
        await cluster.CreateAsync(Run("fan-1", "fan"));

        // Two transforms hold both slots; the planner started them in one reconcile, so a third would be there too.
        await first.Started.WaitAsync(OperatorCluster.Patience);
        await second.Started.WaitAsync(OperatorCluster.Patience);
        var waiting = await cluster.WaitForRunAsync("fan-1", r => OperatorCluster.TasksOf(r) is var t
            && t["transform_a"].Job is not null && t["transform_b"].Job is not null, "transform_a and transform_b started");
        OperatorCluster.TasksOf(waiting)["transform_c"].Job.Should().BeNull("both slots are taken");
        cluster.View.JobsOf("fan-1").Should().HaveCount(3, "extract, transform_a and transform_b");

        first.Release();
        await cluster.WaitForRunAsync("fan-1", r => OperatorCluster.TasksOf(r)["transform_c"].Job is not null, "transform_c takes the free slot");
        second.Release();
        var run = await cluster.WaitForPhaseAsync("fan-1", RunPhase.Succeeded);

        OperatorCluster.TasksOf(run).Values.Should().OnlyContain(t => t.State == TaskState.Success);
        OperatorCluster.TasksOf(run)["load"].StartTime.Should().BeOnOrAfter(OperatorCluster.TasksOf(run)["transform_c"].EndTime!.Value);
    }
}
