using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Operator.Queue;
using static K8sFlow.Operator.Tests.DagController.DagControllerHarness;

namespace K8sFlow.Operator.Tests.DagController;

public sealed class DagValidationTests
{
    private const string Now = "2026-01-01T12:00:00Z";

    [Fact]
    public async Task Reconcile_InvalidDag_ReadyFalseInvalidWithTheFindings_WarnsOnce_CreatesNoRuns()
    {
        await using var harness = await StartAsync(Now);
        var dag = TestDags.Scheduled("etl", "61 * * * *", catchup: true);
        await harness.ApplyAsync(dag with { Spec = dag.Spec with { Tasks = [.. dag.Spec.Tasks, new TaskSpec { Name = "load", Image = "busybox", Command = ["true"], DependsOn = ["extract"] }] } });

        await harness.RunDueAsync();

        var status = await harness.StatusAsync("etl");
        var ready = status.Conditions.Should().ContainSingle(c => c.Type == "Ready").Subject;
        ready.Status.Should().Be("False");
        ready.Reason.Should().Be("Invalid");
        ready.ObservedGeneration.Should().Be(1);
        ready.Message.Should().StartWith("2 validation errors: ").And.Contain("spec.schedule").And.Contain("61")
            .And.Contain("task load: spec.tasks[1].dependsOn").And.Contain("extract");
        status.Message.Should().Contain("invalid");
        status.NextRunTime.Should().BeNull();
        status.NextRuns.Should().BeNull();
        (await harness.RunsAsync()).Should().BeEmpty();
        harness.RunCreates.Should().Be(0);
        harness.Events.Events.Should().Equal(new RecordedEvent("Dag", "etl", EventTypes.Warning, "Invalid", ready.Message!));

        var writes = harness.StatusWrites;
        (await harness.ReconcileAsync("etl")).Should().Be(ReconcileResult.Done);
        harness.Events.Events.Should().HaveCount(1, "one Warning per generation");
        harness.StatusWrites.Should().Be(writes, "an unchanged status is not written again");
    }

    [Fact]
    public async Task Reconcile_ManyErrors_ConditionListsTheFirstThreeAndCountsTheRest()
    {
        await using var harness = await StartAsync(Now);
        var dag = TestDags.Scheduled("etl", "@daily");
        var tasks = Enumerable.Range(1, 5).Select(i => new TaskSpec { Name = $"t{i}", Image = "busybox", Command = ["true"], DependsOn = [$"missing{i}"] });
        await harness.ApplyAsync(dag with { Spec = dag.Spec with { Tasks = [.. tasks] } });

        await harness.RunDueAsync();

        var message = (await harness.StatusAsync("etl")).Conditions!.Single(c => c.Type == "Ready").Message;
        message.Should().StartWith("5 validation errors: task t1: ").And.EndWith("; and 2 more")
            .And.Contain("missing1").And.Contain("missing2").And.Contain("missing3").And.NotContain("missing4");
    }

    [Fact]
    public async Task EditedDag_WarnsOncePerInvalidGeneration_SchedulesOnceFixed()
    {
        await using var harness = await StartAsync(Now);
        await harness.ApplyAsync(TestDags.Scheduled("etl", "every hour", start: "2026-01-01T00:00:00Z"));
        await harness.RunDueAsync();
        await harness.EditAsync("etl", spec => spec with { Schedule = "@sometimes" });
        await harness.RunDueAsync();

        harness.Events.Events.Select(e => (e.Type, e.Reason)).Should().Equal((EventTypes.Warning, "Invalid"), (EventTypes.Warning, "Invalid"));
        (await harness.RunsAsync()).Should().BeEmpty();

        await harness.EditAsync("etl", spec => spec with { Schedule = "@hourly" });
        await harness.RunDueAsync();

        var status = await harness.StatusAsync("etl");
        status.ObservedGeneration.Should().Be(3);
        status.Conditions!.Single(c => c.Type == "Ready").Should().BeEquivalentTo(new
        {
            Status = "True",
            Reason = "Valid",
            Message = "the Dag is valid",
            ObservedGeneration = 3L,
            LastTransitionTime = At(Now),
        });
        (await harness.RunNamesAsync()).Should().Equal("etl-scheduled-20260101t120000");
        harness.Events.Events.Should().HaveCount(2);
    }

    [Fact]
    public async Task ValidDagWithWarnings_ReadyTrueAndTheWarningsInItsMessage()
    {
        await using var harness = await StartAsync(Now);
        var dag = TestDags.Scheduled("etl", null);
        await harness.ApplyAsync(dag with
        {
            Spec = dag.Spec with
            {
                Tasks =
                [
                    new TaskSpec { Name = "choose", Image = "busybox", Command = ["true"], Type = "branch" },
                    new TaskSpec { Name = "a", Image = "busybox", Command = ["true"], DependsOn = ["choose"] },
                    new TaskSpec { Name = "b", Image = "busybox", Command = ["true"], DependsOn = ["choose"] },
                    new TaskSpec { Name = "join", Image = "busybox", Command = ["true"], DependsOn = ["a", "b"] },
                ],
            },
        });

        await harness.RunDueAsync();

        var ready = (await harness.StatusAsync("etl")).Conditions!.Single(c => c.Type == "Ready");
        ready.Status.Should().Be("True");
        ready.Message.Should().StartWith("1 warning: task join: ").And.Contain("none_failed_min_one_success");
        harness.Events.Events.Should().BeEmpty();
    }
}
