using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>A branch task picks one path; the join after both paths runs (none_failed_min_one_success).</summary>
public sealed class BranchJoinTests
{
    [Theory]
    [InlineData("left", "right")]
    [InlineData("right", "left")]
    public async Task Branch_ChoosesOnePath_OtherSkipped_JoinRuns(string chosen, string skipped)
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await cluster.StartOperatorAsync();
        // The branch decision comes from the pod's sim annotation, set through the Dag's pod-template escape hatch.
        var choose = Task("choose", "start") with
        {
            Type = "branch",
            PodTemplate = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["annotations"] = new JsonObject { [SimulationAnnotations.Message] = $$"""{"branch": "{{chosen}}"}""" },
                },
            },
        };
        await cluster.ApplyAsync(Dag("branchy", Task("start"), choose, Task("left", "choose"), Task("right", "choose"),
            Task("join", "left", "right") with { TriggerRule = "none_failed_min_one_success" }));

        await cluster.CreateAsync(Run("branchy-1", "branchy"));
        var run = await cluster.WaitForPhaseAsync("branchy-1", RunPhase.Succeeded);

        var states = OperatorCluster.TasksOf(run);
        states["choose"].Outputs.Should().Contain("branch", chosen);
        states[chosen].State.Should().Be(TaskState.Success);
        states[skipped].State.Should().Be(TaskState.Skipped);
        states["join"].State.Should().Be(TaskState.Success);
        run.Status!.Progress.Should().Be("5/5");
        cluster.View.JobsOf("branchy-1").Should().HaveCount(4, "every task but the skipped one ran once");
    }
}
