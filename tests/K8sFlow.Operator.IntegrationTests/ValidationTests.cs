using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>What the operator refuses: an invalid Dag never runs, a run with a bad param never starts.</summary>
public sealed class ValidationTests
{
    [Fact]
    public async Task DagWithACycle_ReadyFalseInvalidNamingTheCycle_WarningEvent_NoRuns()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await cluster.StartOperatorAsync();
        // Hourly since January: a valid Dag would get a run at once.
        await cluster.ApplyAsync(Dag("cyclic", new DagSpec
        {
            Schedule = "@hourly",
            StartDate = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Tasks = [Task("a", "c"), Task("b", "a"), Task("c", "b")],
        }));

        var dag = await cluster.WaitForDagAsync("cyclic", d => d.Status?.Conditions?.Any(c => c.Type == "Ready") == true, "a Ready condition");

        var ready = dag.Status!.Conditions!.Single(c => c.Type == "Ready");
        ready.Status.Should().Be("False");
        ready.Reason.Should().Be("Invalid");
        ready.Message.Should().Contain("dependency cycle: a -> b -> c -> a");
        var warning = await cluster.View.WaitForAsync(() => cluster.View.EventsOf("cyclic").FirstOrDefault(e => e.Type == "Warning"), "a Warning event");
        warning.Reason.Should().Be("Invalid");
        // The controller decides on runs before it writes the condition: had it created one, it would exist by now.
        cluster.View.DagRuns.List().Should().BeEmpty();
        (await cluster.DagRunsCreatedAsync(atLeast: 0)).Should().Be(0);
    }

    [Fact]
    public async Task ManualRun_ParamOutOfRange_FailsAtOnceNamingTheParam_NoJob()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("trainer", new DagSpec
        {
            Params = new() { ["threshold"] = new ParamSpec { Type = "number", Default = 0.8, Minimum = 0, Maximum = 1 } },
            Tasks = [Task("train")],
        }));

        await cluster.CreateAsync(Run("trainer-1", "trainer", new() { ["threshold"] = JsonValue.Create(5) }));
        var run = await cluster.WaitForPhaseAsync("trainer-1", RunPhase.Failed);

        var condition = run.Status!.Conditions!.Single(c => c.Type == RunConditions.Succeeded);
        condition.Status.Should().Be("False");
        condition.Reason.Should().Be(RunRefusals.InvalidParams);
        condition.Message.Should().Contain("threshold");
        run.Status.Tasks.Should().BeNullOrEmpty();
        cluster.View.JobsOf("trainer-1").Should().BeEmpty();
        (await cluster.JobsCreatedAsync(atLeast: 0)).Should().Be(0);
    }
}
