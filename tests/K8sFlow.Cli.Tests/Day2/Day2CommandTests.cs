using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster.JobRunner;

namespace K8sFlow.Cli.Tests.Day2;

/// <summary>trigger, runs, status, logs, pause/unpause and cancel against a local environment, invoked as a user would.</summary>
public sealed class Day2CommandTests
{
    [Fact]
    public async Task Trigger_Wait_PrintsTheRunName_AndExitsZeroWhenItSucceeds()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load"));

        var result = await env.CliAsync("trigger", "etl", "--wait");

        result.ExitCode.Should().Be(0, result.Error);
        var name = result.OutputLines.Should().ContainSingle().Subject;
        var run = await env.GetRunAsync(name);
        run.Spec.DagName.Should().Be("etl");
        run.Spec.RunType.Should().Be("manual");
        run.Status!.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public async Task Trigger_WaitOnAFailingRun_ExitsOne()
    {
        await using var env = await Day2Environment.StartAsync((task, _) => task == "load" ? new SimulatedOutcome { ExitCode = 3 } : null);
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load"));

        var result = await env.CliAsync("trigger", "etl", "--wait");

        result.ExitCode.Should().Be(1, result.Error);
        (await env.GetRunAsync(result.OutputLines.Single())).Status!.Phase.Should().Be(RunPhase.Failed);
    }

    [Theory]
    [InlineData("threshold=1.5", "param threshold: 1.5 is above the maximum 1")]
    [InlineData("threshold=high", "param threshold")]
    [InlineData("treshold=0.5", "param treshold")]
    public async Task Trigger_InvalidParam_ExitsTwo_NamesTheParam_AndCreatesNoRun(string assignment, string message)
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(WithThreshold(Day2Environment.ChainDag("train", "fit")));

        var result = await env.CliAsync("trigger", "train", "-p", assignment);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("Dag train").And.Contain(message);
        (await env.RunsAsync("train")).Should().BeEmpty();
    }

    [Fact]
    public async Task Trigger_ValidParam_IsPassedToTheRun()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(WithThreshold(Day2Environment.ChainDag("train", "fit")));

        var result = await env.CliAsync("trigger", "train", "-p", "threshold=0.8", "--wait");

        result.ExitCode.Should().Be(0, result.Error);
        var run = await env.GetRunAsync(result.OutputLines.Single());
        run.Status!.Params!["threshold"]!.GetValue<double>().Should().Be(0.8);
    }

    [Fact]
    public async Task Trigger_UnknownDag_ExitsTwo()
    {
        await using var env = await Day2Environment.StartAsync();

        var result = await env.CliAsync("trigger", "nope");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("Dag nope not found in namespace default");
    }

    [Fact]
    public async Task NamespaceFlag_CommandsLookInThatNamespace()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract"));

        var elsewhere = await env.CliAsync("trigger", "etl", "-n", "team-a");
        var here = await env.CliAsync("trigger", "etl", "--namespace", "default");

        elsewhere.ExitCode.Should().Be(2);
        elsewhere.Error.Should().Contain("Dag etl not found in namespace team-a");
        here.ExitCode.Should().Be(0, here.Error);
    }

    [Fact]
    public async Task Runs_ListsEachRunNewestFirst_WithPhaseProgressAndRunId()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load"));
        var first = (await env.CliAsync("trigger", "etl", "--wait")).OutputLines.Single();
        var second = (await env.CliAsync("trigger", "etl", "--wait")).OutputLines.Single();

        var result = await env.CliAsync("runs", "etl");

        result.ExitCode.Should().Be(0, result.Error);
        var lines = result.OutputLines;
        lines[0].Should().StartWith("DAG").And.Contain("RUN ID").And.Contain("PHASE").And.Contain("PROGRESS").And.Contain("LOGICAL DATE");
        lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Should().Equal(second, first);
        lines[1].Should().Contain("manual__").And.Contain("Succeeded").And.Contain("2/2");
    }

    [Fact]
    public async Task Status_ShowsEachTasksStateAndTry_AndTheRunsConditions()
    {
        await using var env = await Day2Environment.StartAsync((task, _) => task == "load" ? new SimulatedOutcome { ExitCode = 1 } : null);
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load", "report"));
        var run = (await env.CliAsync("trigger", "etl", "--wait")).OutputLines.Single();

        var result = await env.CliAsync("status", run);

        result.ExitCode.Should().Be(0, result.Error);
        var rows = result.OutputLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        rows.Should().Contain(r => r[0] == "extract" && r[1] == "success" && r[2] == "1");
        rows.Should().Contain(r => r[0] == "load" && r[1] == "failed" && r[2] == "1");
        rows.Should().Contain(r => r[0] == "report" && r[1] == "upstream_failed");
        result.Output.Should().Contain("Phase: Failed").And.Contain("CONDITION");
        // The graph with states (uncoloured: the output is not a terminal).
        result.Output.Should().Contain("extract (success) -> load\n")
            .And.Contain("  load (failed) -> report\n")
            .And.Contain("    report (upstream_failed)\n")
            .And.NotContain("\u001b[");
    }

    [Fact]
    public async Task Status_RunLargeEnoughForCompactRecords_ShowsEveryTask_WhileTheObjectStaysSmall()
    {
        await using var env = await Day2Environment.StartAsync((task, _) => task == "t0007" ? new SimulatedOutcome { ExitCode = 3 } : null);
        var names = Enumerable.Range(0, 600).Select(i => $"t{i:0000}").ToArray();
        var dag = Day2Environment.ChainDag("wide", names);
        dag = dag with
        {
            Spec = dag.Spec with
            {
                MaxActiveTasksPerRun = 600,
                Tasks = [.. dag.Spec.Tasks.Select(t => t with { DependsOn = null })],
            },
        };
        await env.CreateDagAsync(dag);
        var run = (await env.CliAsync("trigger", "wide", "--wait")).OutputLines.Single();

        var stored = await env.GetRunAsync(run);
        var status = await env.CliAsync("status", run);

        stored.Status!.CompactTasks.Should().NotBeNull("600 full records are more than the 64 KiB budget");
        stored.Status.CompactTasks![TaskState.Success].Should().Be("0-6,8-599");
        stored.Status.Tasks.Should().ContainSingle().Which.Should().Match<TaskInstanceStatus>(t => t.Name == "t0007" && t.State == TaskState.Failed);
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(stored, KubeJson.Options).Length.Should().BeLessThan(16 * 1024);
        status.ExitCode.Should().Be(0, status.Error);
        var rows = status.OutputLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(r => r.Length > 2 && r[0].StartsWith('t')).ToList();
        rows.Where(r => r[1] == "success" && r[2] == "1").Select(r => r[0]).Should().BeEquivalentTo(names.Where(n => n != "t0007"));
        rows.Should().Contain(r => r[0] == "t0007" && r[1] == "failed");
    }

    [Fact]
    public async Task Status_UnknownRun_ExitsTwo()
    {
        await using var env = await Day2Environment.StartAsync();

        var result = await env.CliAsync("status", "missing");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("DagRun missing not found");
    }

    [Fact]
    public async Task Logs_OfOneTask_PrintsItsPodsLog_AndWithoutATask_EveryTaskUnderAHeader()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load"));
        var run = (await env.CliAsync("trigger", "etl", "--wait")).OutputLines.Single();

        var one = await env.CliAsync("logs", run, "load");
        var all = await env.CliAsync("logs", run, "-f");

        one.ExitCode.Should().Be(0, one.Error);
        one.OutputLines.Should().Equal("load try 1 ran");
        all.ExitCode.Should().Be(0, all.Error);
        all.OutputLines.Should().Equal("==> extract (try 1, success) <==", "extract try 1 ran", "==> load (try 1, success) <==", "load try 1 ran");
    }

    [Fact]
    public async Task LogsFollow_OfARunningTask_StreamsUntilTheContainerEnds()
    {
        await using var env = await Day2Environment.StartAsync((task, _) => new SimulatedOutcome
        {
            Duration = TimeSpan.FromSeconds(2),
            LogLines = [$"{task} started", $"{task} done"],
        });
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract"));
        var run = (await env.CliAsync("trigger", "etl")).OutputLines.Single();
        await env.WaitForRunAsync(run, r => r.Status?.Tasks?.Any(t => t.Name == "extract" && t.State == TaskState.Running) == true, "extract running");

        // Bounded: following must end when the container does, not hang.
        var result = await env.CliAsync("logs", run, "extract", "-f").WaitAsync(Day2Environment.WaitLimit);

        result.ExitCode.Should().Be(0, result.Error);
        result.OutputLines.Should().Equal("extract started", "extract done");
    }

    [Fact]
    public async Task Logs_UnknownTask_ExitsTwo_ListingTheRunsTasks()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract", "load"));
        var run = (await env.CliAsync("trigger", "etl", "--wait")).OutputLines.Single();

        var result = await env.CliAsync("logs", run, "transform");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("no task transform").And.Contain("extract, load");
    }

    [Fact]
    public async Task Pause_StopsScheduledRunsOfADueSchedule_AndUnpauseCreatesThem()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("nightly", "extract"));

        var paused = await env.CliAsync("pause", "nightly");
        // Now give the paused Dag a schedule that is due at once.
        var dag = await env.Client.PatchAsync(KubeKinds.Dag, Day2Environment.Namespace, "nightly", KubePatch.Merge(new
        {
            spec = new { schedule = "@daily", startDate = DateTimeOffset.UtcNow.AddDays(-3), catchup = false },
        }), cancellationToken: Day2Environment.Deadline());
        await env.WaitForAsync(KubeKinds.Dag, dags => dags.Any(d => d.Status?.ObservedGeneration == dag.Metadata.Generation),
            "the Dag controller to see the paused Dag's schedule");
        var runsWhilePaused = await env.RunsAsync("nightly");
        var unpaused = await env.CliAsync("unpause", "nightly");
        var runs = await env.WaitForAsync(KubeKinds.DagRun, runs => runs.Any(r => r.Spec.RunType == "scheduled"), "a scheduled run after unpause");

        paused.ExitCode.Should().Be(0, paused.Error);
        paused.Output.Should().Contain("Dag nightly paused");
        runsWhilePaused.Should().BeEmpty("a paused Dag gets no scheduled runs even when one is due");
        unpaused.ExitCode.Should().Be(0, unpaused.Error);
        runs.Should().ContainSingle(r => r.Spec.DagName == "nightly" && r.Spec.RunType == "scheduled");
    }

    [Fact]
    public async Task Cancel_EndsARunningRunFailed_WithReasonCancelled()
    {
        await using var env = await Day2Environment.StartAsync((task, _) =>
            task == "slow" ? new SimulatedOutcome { Duration = TimeSpan.FromMinutes(10) } : null);
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "slow", "after"));
        var run = (await env.CliAsync("trigger", "etl")).OutputLines.Single();
        await env.WaitForRunAsync(run, r => r.Status?.Tasks?.Any(t => t.Name == "slow" && t.State == TaskState.Running) == true, "slow running");

        var result = await env.CliAsync("cancel", run);
        var cancelled = await env.WaitForRunAsync(run, r => r.Status?.Phase is RunPhase.Failed or RunPhase.Succeeded, "a final phase");

        result.ExitCode.Should().Be(0, result.Error);
        cancelled.Status!.Phase.Should().Be(RunPhase.Failed);
        cancelled.Status.Conditions.Should().Contain(c => c.Reason == "Cancelled");
        cancelled.Status.Tasks!.Single(t => t.Name == "after").State.Should().Be(TaskState.Skipped);
    }

    [Theory]
    [InlineData("pause", "ghost", "Dag ghost not found in namespace default")]
    [InlineData("cancel", "ghost", "DagRun ghost not found in namespace default")]
    public async Task PatchCommands_MissingObject_ExitTwo(string verb, string name, string message)
    {
        await using var env = await Day2Environment.StartAsync();

        var result = await env.CliAsync(verb, name);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain(message);
    }

    private static Dag WithThreshold(Dag dag) => dag with
    {
        Spec = dag.Spec with
        {
            Params = new Dictionary<string, ParamSpec>
            {
                ["threshold"] = new() { Type = "number", Default = JsonValue.Create(0.5), Minimum = 0, Maximum = 1 },
            },
        },
    };
}
