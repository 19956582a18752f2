using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>What users do to a run while it runs: cancel it, delete it, or edit its Dag.</summary>
public sealed class RunLifecycleTests
{
    [Fact]
    public async Task CancelledRun_ItsRunningJobIsDeleted_RunFailsCancelled_PendingTasksSkipped()
    {
        var tasks = new SimulatedTasks().Run("train", TimeSpan.FromMinutes(10));
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("pipeline", Chain("prepare", "train", "publish")));
        await cluster.CreateAsync(Run("pipeline-1", "pipeline"));
        await cluster.WaitForRunAsync("pipeline-1", r => OperatorCluster.TasksOf(r).GetValueOrDefault("train")?.State == TaskState.Running, "train running");

        await cluster.Client.PatchAsync(KubeKinds.DagRun, OperatorCluster.Ns, "pipeline-1", KubePatch.Merge(new { spec = new { cancel = true } }));
        var run = await cluster.WaitForPhaseAsync("pipeline-1", RunPhase.Failed);

        run.Status!.Conditions.Should().ContainSingle(c => c.Type == RunConditions.Succeeded).Which.Reason.Should().Be(RunConditions.Reasons.Cancelled);
        var states = OperatorCluster.TasksOf(run);
        states["prepare"].State.Should().Be(TaskState.Success);
        states["train"].State.Should().Be(TaskState.Failed);
        states["publish"].State.Should().Be(TaskState.Skipped);
        var trainJob = Names.TaskJobName("pipeline-1", "train", 1);
        await cluster.View.WaitForAsync(() => cluster.View.Jobs.Get(OperatorCluster.Ns, trainJob) is null ? trainJob : null, $"Job {trainJob} deleted");
        (await cluster.JobsCreatedAsync(atLeast: 2)).Should().Be(2, "publish never ran");
        var failed = await cluster.View.WaitForAsync(() => cluster.View.EventsOf("pipeline-1").FirstOrDefault(e => e.Reason == DagRunEventReasons.TaskFailed), "a TaskFailed event");
        failed.Message.Should().Be("task train failed at try 1: cancelled");
    }

    [Fact]
    public async Task RunningRunDeletedWithForegroundCascade_ItsJobsAndWorkspaceGoFirst_NothingNewStarts()
    {
        var tasks = new SimulatedTasks().Run("train", TimeSpan.FromMinutes(10));
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("pipeline", new DagSpec { Workspace = new WorkspaceSpec { Size = "1Gi" }, Tasks = [.. Chain("prepare", "train", "publish")] }));
        await cluster.CreateAsync(Run("pipeline-1", "pipeline"));
        await cluster.WaitForRunAsync("pipeline-1", r => OperatorCluster.TasksOf(r).GetValueOrDefault("train")?.State == TaskState.Running, "train running");

        // kubectl returns once the run is gone, and with foreground deletion that is after everything it owns.
        var deleted = await cluster.KubectlAsync("delete", "dagrun", "pipeline-1", "-n", OperatorCluster.Ns, "--cascade=foreground");

        deleted.ExitCode.Should().Be(0, deleted.ToString());
        (await cluster.Client.ListAsync(KubeKinds.Job, OperatorCluster.Ns)).Items.Should().BeEmpty();
        (await cluster.Client.TryGetAsync(KubeKinds.PersistentVolumeClaim, OperatorCluster.Ns, "pipeline-1-workspace")).Should().BeNull();
        (await cluster.JobsCreatedAsync(atLeast: 2)).Should().Be(2, "publish never started");
    }

    [Fact]
    public async Task DagEditedMidRun_TheRunKeepsItsPinnedSpec_TheNextRunGetsTheNewOne()
    {
        var tasks = new SimulatedTasks();
        var extract = tasks.Hold("extract");
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        await cluster.StartOperatorAsync();
        await cluster.ApplyAsync(Dag("etl", Chain("extract", "load")));
        await cluster.CreateAsync(Run("etl-1", "etl"));
        await extract.Started.WaitAsync(OperatorCluster.Patience);

        await cluster.Client.PatchAsync(KubeKinds.Dag, OperatorCluster.Ns, "etl", KubePatch.Merge(new
        {
            spec = new DagSpec { Defaults = new TaskDefaults { Image = "busybox:1.37" }, Tasks = [.. Chain("extract", "transform", "load")] },
        }));
        await cluster.WaitForDagAsync("etl", d => d.Status?.ObservedGeneration == 2, "the edit seen by the operator");
        extract.Release();
        var first = await cluster.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);
        await cluster.CreateAsync(Run("etl-2", "etl"));
        var second = await cluster.WaitForPhaseAsync("etl-2", RunPhase.Succeeded);

        OperatorCluster.TasksOf(first).Keys.Should().BeEquivalentTo("extract", "load");
        first.Status!.DagGeneration.Should().Be(1);
        ImageOf(cluster, OperatorCluster.TasksOf(first)["load"]).Should().Be("busybox:1.36");
        OperatorCluster.TasksOf(second).Keys.Should().BeEquivalentTo("extract", "transform", "load");
        second.Status!.DagGeneration.Should().Be(2);
        ImageOf(cluster, OperatorCluster.TasksOf(second)["load"]).Should().Be("busybox:1.37");
    }

    private static string? ImageOf(OperatorCluster cluster, TaskInstanceStatus task) =>
        cluster.View.Jobs.Get(OperatorCluster.Ns, task.Job!)!.Spec.Template.Spec.Containers.Single().Image;
}
