using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.IntegrationTests.Support;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>The sample ML pipeline, as a user applies it, runs to Succeeded and kubectl shows it (runs, Jobs, logs).</summary>
public sealed class MlPipelineTests
{
    [Fact]
    public async Task SamplePipeline_ManualRun_Succeeds_KubectlShowsFullProgressTheTaskJobsAndTheirLogs()
    {
        var tasks = new SimulatedTasks()
            .Succeed("model_evaluation", """{"accuracy": 0.93, "f1_score": 0.91}""", "test accuracy 0.93, f1 0.91")
            .Succeed("check_accuracy", """{"branch": "model_registry"}""");
        await using var cluster = await OperatorCluster.StartAsync(tasks);
        await cluster.StartOperatorAsync();
        var dag = Load("config/samples/ml-pipeline.yaml").Dags.Single().Resource;
        var sampleRun = Load("config/samples/ml-pipeline-run.yaml").DagRuns.Single().Resource;

        await cluster.ApplyAsync(dag);
        var name = (await cluster.CreateAsync(sampleRun)).Metadata.Name!;
        var run = await cluster.WaitForPhaseAsync(name, RunPhase.Succeeded);

        run.Status!.Progress.Should().Be("9/9");
        var states = OperatorCluster.TasksOf(run);
        states["notify_low_accuracy"].State.Should().Be(TaskState.Skipped);
        states["model_registry"].State.Should().Be(TaskState.Success);
        states.Values.Where(t => t.Name != "notify_low_accuracy").Should().OnlyContain(t => t.State == TaskState.Success && t.TryNumber == 1);
        states["model_evaluation"].Outputs.Should().Contain("accuracy", "0.93");
        // The evaluation's output reached the next tasks' arguments through the termination message.
        var registryArgs = cluster.View.Jobs.Get(OperatorCluster.Ns, states["model_registry"].Job!)!.Spec.Template.Spec.Containers[0].Args;
        registryArgs.Should().ContainInOrder("--accuracy", "0.93");

        var dagRuns = await cluster.KubectlAsync("get", "dagruns", "-n", OperatorCluster.Ns);
        dagRuns.ExitCode.Should().Be(0, dagRuns.ToString());
        var row = KubectlTable.Parse(dagRuns.Stdout).Single(r => r["NAME"] == name);
        row["DAG"].Should().Be("ml-pipeline");
        row["PHASE"].Should().Be("Succeeded");
        row["PROGRESS"].Should().Be("9/9");
        row["LOGICAL DATE"].Should().NotBeEmpty();

        var jobs = await cluster.KubectlAsync("get", "jobs", "-n", OperatorCluster.Ns, "-l", $"{K8sFlowApi.Labels.DagRun}={name}", "-o", "name");
        jobs.ExitCode.Should().Be(0, jobs.ToString());
        var expected = states.Values.Where(t => t.State == TaskState.Success).Select(t => "job.batch/" + Names.TaskJobName(name, t.Name, 1));
        jobs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().BeEquivalentTo(expected);

        var logs = await cluster.KubectlAsync("logs", "-n", OperatorCluster.Ns, "job/" + states["model_evaluation"].Job);
        logs.ExitCode.Should().Be(0, logs.ToString());
        logs.Stdout.Should().Be("test accuracy 0.93, f1 0.91\n");

        // The run's workspace claim goes with the run (owner reference).
        var claim = await cluster.Client.GetAsync(KubeKinds.PersistentVolumeClaim, OperatorCluster.Ns, name + "-workspace");
        claim.Metadata.OwnerReferences.Should().ContainSingle(o => o.Kind == K8sFlowApi.DagRunKind && o.Uid == run.Metadata.Uid && o.Controller == true);
    }

    private static ManifestLoadResult Load(string relativePath)
    {
        var path = RepoFiles.PathOf(relativePath);
        var loaded = ManifestLoader.Load(File.ReadAllText(path), path);
        loaded.HasErrors.Should().BeFalse(string.Join("\n", loaded.Diagnostics));
        return loaded;
    }
}
