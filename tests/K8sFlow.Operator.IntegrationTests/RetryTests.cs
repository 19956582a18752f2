using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>K8sFlow owns retries: one Job per attempt, named by its try number.</summary>
public sealed class RetryTests
{
    [Fact]
    public async Task FailingTask_TwoRetries_ThreeJobsThenTheRunFails()
    {
        var tasks = new SimulatedTasks().Fail("flaky", exitCode: 3);
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("retrying", new DagSpec
        {
            // Short real waits between attempts; the test waits on the run's state, never on the clock.
            Defaults = new TaskDefaults { Image = "busybox:1.36", Retries = 2, RetryDelay = "1s" },
            Tasks = [.. Chain("flaky", "report")],
        }));

        await cluster.CreateAsync(Run("retrying-1", "retrying"));
        var run = await cluster.WaitForPhaseAsync("retrying-1", RunPhase.Failed);

        var flaky = OperatorCluster.TasksOf(run)["flaky"];
        flaky.State.Should().Be(TaskState.Failed);
        flaky.TryNumber.Should().Be(3);
        flaky.ExitCode.Should().Be(3);
        OperatorCluster.TasksOf(run)["report"].State.Should().Be(TaskState.UpstreamFailed);
        cluster.View.JobsOf("retrying-1").Select(j => j.Metadata.Name).Should()
            .Equal(Names.TaskJobName("retrying-1", "flaky", 1), Names.TaskJobName("retrying-1", "flaky", 2), Names.TaskJobName("retrying-1", "flaky", 3));
        (await cluster.JobsCreatedAsync(atLeast: 3)).Should().Be(3);
        tasks.Starts.Select(s => s.TryNumber).Should().Equal(1, 2, 3);
    }
}
