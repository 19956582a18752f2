using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Jobs;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.Tests.Jobs;

public class JobFactoryTests
{
    private const string RunName = "etl-manual-1";
    private const string RunUid = "uid-1234";

    private static readonly DagRunStatus Status = new()
    {
        RunId = "manual__2026-01-01T00:00:00+00:00",
        LogicalDate = T0,
        DataIntervalStart = T0,
        DataIntervalEnd = T0,
        Params = new() { ["dataset"] = "iris", ["epochs"] = 3 },
        Tasks = [new TaskInstanceStatus { Name = "extract", State = TaskState.Success, Outputs = new() { ["rows"] = "178" } }],
    };

    private static DagRun RunOf(string name = RunName) => Run(name, "etl") with
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Ns, Uid = RunUid },
    };

    private static DagSpec Spec(TaskSpec task, TaskDefaults? defaults = null, WorkspaceSpec? workspace = null) => new()
    {
        Defaults = defaults ?? new TaskDefaults { Image = "python:3.12" },
        Workspace = workspace,
        Tasks = [new TaskSpec { Name = "extract" }, task],
    };

    private static Job Build(TaskSpec task, TaskDefaults? defaults = null, WorkspaceSpec? workspace = null, int tryNumber = 1,
        TimeSpan? timeout = null, DagRun? run = null)
    {
        var result = BuildResult(task, defaults, workspace, tryNumber, timeout, run);
        result.Error.Should().BeNull();
        return result.Job!;
    }

    private static JobBuild BuildResult(TaskSpec task, TaskDefaults? defaults = null, WorkspaceSpec? workspace = null, int tryNumber = 1,
        TimeSpan? timeout = null, DagRun? run = null)
    {
        run ??= RunOf();
        var start = new StartTask(task.Name, tryNumber, Names.TaskJobName(run.Metadata.Name!, task.Name, tryNumber), timeout);
        return JobFactory.Build(run, Status, Spec(task, defaults, workspace), start);
    }

    private static Container MainContainer(Job job) => job.Spec.Template.Spec.Containers.Should().ContainSingle().Subject;

    private static Dictionary<string, string?> Env(Job job) => MainContainer(job).Env!.ToDictionary(e => e.Name, e => e.Value);

    [Fact]
    public void Build_NamesTheJobPerTry_LabelsJobAndPod_AnnotatesRunIdAndTask()
    {
        var job = Build(new TaskSpec { Name = "raw_to_bronze" }, tryNumber: 2);

        job.Metadata.Name.Should().Be("etl-manual-1-raw-to-bronze-2").And.Be(Names.TaskJobName(RunName, "raw_to_bronze", 2));
        job.Metadata.Namespace.Should().Be(Ns);
        var expectedLabels = new Dictionary<string, string>
        {
            [K8sFlowApi.Labels.Dag] = "etl",
            [K8sFlowApi.Labels.DagRun] = RunName,
            [K8sFlowApi.Labels.Task] = "raw-to-bronze",
            [K8sFlowApi.Labels.TryNumber] = "2",
            [K8sFlowApi.Labels.ManagedBy] = "k8sflow",
        };
        job.Metadata.Labels.Should().Equal(expectedLabels);
        job.Spec.Template.Metadata!.Labels.Should().Equal(expectedLabels);
        var expectedAnnotations = new Dictionary<string, string>
        {
            [K8sFlowApi.Annotations.RunId] = Status.RunId!,
            [K8sFlowApi.Annotations.TaskName] = "raw_to_bronze",
            [K8sFlowApi.Annotations.LogicalDate] = "2026-01-01T00:00:00+00:00",
        };
        job.Metadata.Annotations.Should().Equal(expectedAnnotations);
        job.Spec.Template.Metadata.Annotations.Should().Equal(expectedAnnotations);
    }

    [Fact]
    public void Build_OwnedByTheRun_SoDeletingTheRunDeletesItsJobs()
    {
        var owner = Build(new TaskSpec { Name = "load" }).Metadata.OwnerReferences.Should().ContainSingle().Subject;

        owner.Should().BeEquivalentTo(new OwnerReference
        {
            ApiVersion = "k8sflow.io/v1alpha1",
            Kind = "DagRun",
            Name = RunName,
            Uid = RunUid,
            Controller = true,
            BlockOwnerDeletion = true,
        });
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(1800.0, 1800L)]
    [InlineData(1.5, 2L)]   // rounded up: a deadline never cuts an attempt short
    public void Build_OneAttemptPerJob_DeadlineFromTheAttemptTimeout(double? timeoutSeconds, long? expectedDeadline)
    {
        var job = Build(new TaskSpec { Name = "load" }, timeout: timeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        job.Spec.BackoffLimit.Should().Be(0);
        job.Spec.ActiveDeadlineSeconds.Should().Be(expectedDeadline);
        job.Spec.Template.Spec.RestartPolicy.Should().Be("Never");
        var main = MainContainer(job);
        main.Name.Should().Be("main");
        main.TerminationMessagePath.Should().Be("/dev/termination-log");
        main.TerminationMessagePolicy.Should().Be("FallbackToLogsOnError");
    }

    [Fact]
    public void Build_GivesEveryContainerK8sFlowsVariables()
    {
        var env = Env(Build(new TaskSpec { Name = "load" }, tryNumber: 3));

        env.Should().Contain(new Dictionary<string, string?>
        {
            ["K8SFLOW_DAG"] = "etl",
            ["K8SFLOW_RUN_ID"] = "manual__2026-01-01T00:00:00+00:00",
            ["K8SFLOW_TASK"] = "load",
            ["K8SFLOW_TRY_NUMBER"] = "3",
            ["K8SFLOW_LOGICAL_DATE"] = "2026-01-01T00:00:00+00:00",
            ["K8SFLOW_OUTPUT"] = "/dev/termination-log",
        });
        JsonNode.Parse(env["K8SFLOW_PARAMS"]!)!.ToJsonString().Should().Be("""{"dataset":"iris","epochs":3}""");
        env.Should().NotContainKey("K8SFLOW_WORKSPACE");
    }

    [Fact]
    public void Build_UserEnvCannotShadowK8sFlowsVariables()
    {
        var task = new TaskSpec { Name = "load", Env = [new EnvVar { Name = "K8SFLOW_TASK", Value = "spoof" }] };

        MainContainer(Build(task)).Env!.Where(e => e.Name == "K8SFLOW_TASK").Should().ContainSingle().Which.Value.Should().Be("load");
    }

    [Fact]
    public void Build_RendersTemplatesInCommandArgsAndEnv()
    {
        var task = new TaskSpec
        {
            Name = "load",
            Command = ["python3", "/app/load.py"],
            Args = ["--date", "{{ ds }}", "--dataset={{ params.dataset }}", "--rows", "{{ tasks.extract.outputs.rows }}"],
            Env = [new EnvVar { Name = "RUN", Value = "{{ run_id }}" }, new EnvVar { Name = "PLAIN", Value = "x" }],
        };

        var job = Build(task);

        MainContainer(job).Command.Should().Equal("python3", "/app/load.py");
        MainContainer(job).Args.Should().Equal("--date", "2026-01-01", "--dataset=iris", "--rows", "178");
        Env(job).Should().Contain("RUN", "manual__2026-01-01T00:00:00+00:00").And.Contain("PLAIN", "x");
    }

    [Theory]
    [InlineData("args", "args[1]")]
    [InlineData("command", "command[0]")]
    [InlineData("env", "env[MODE]")]
    public void Build_TemplateError_FailsNamingTaskAndField(string field, string expectedField)
    {
        const string bad = "{{ params.missing }}";
        var task = field switch
        {
            "args" => new TaskSpec { Name = "train", Args = ["ok", bad] },
            "command" => new TaskSpec { Name = "train", Command = [bad] },
            _ => new TaskSpec { Name = "train", Env = [new EnvVar { Name = "MODE", Value = bad }] },
        };

        var result = BuildResult(task);

        result.Job.Should().BeNull();
        result.Error.Should().StartWith($"task train: {expectedField}: ").And.Contain("missing");
    }

    [Fact]
    public void Build_DefaultsApplyWhereTheTaskSetsNothing()
    {
        var defaults = new TaskDefaults
        {
            Image = "python:3.12",
            ServiceAccountName = "runner",
            Resources = new ResourceRequirements { Requests = new() { ["cpu"] = "100m" } },
            Env = [new EnvVar { Name = "A", Value = "default" }, new EnvVar { Name = "B", Value = "default" }],
        };

        var job = Build(new TaskSpec { Name = "load", Env = [new EnvVar { Name = "B", Value = "task" }] }, defaults);

        MainContainer(job).Image.Should().Be("python:3.12");
        MainContainer(job).Resources!.Requests.Should().Equal(new Dictionary<string, string> { ["cpu"] = "100m" });
        job.Spec.Template.Spec.ServiceAccountName.Should().Be("runner");
        Env(job).Should().Contain("A", "default").And.Contain("B", "task");
    }

    [Fact]
    public void Build_TaskFieldsWinOverDefaults()
    {
        var defaults = new TaskDefaults
        {
            Image = "python:3.12",
            ServiceAccountName = "runner",
            Resources = new ResourceRequirements { Requests = new() { ["cpu"] = "100m" } },
        };
        var task = new TaskSpec
        {
            Name = "train",
            Image = "trainer:2",
            ServiceAccountName = "gpu-runner",
            Resources = new ResourceRequirements { Limits = new() { ["nvidia.com/gpu"] = "1" } },
        };

        var job = Build(task, defaults);

        MainContainer(job).Image.Should().Be("trainer:2");
        MainContainer(job).Resources!.Requests.Should().BeNull("a task's resources replace the defaults as a whole");
        MainContainer(job).Resources!.Limits.Should().Equal(new Dictionary<string, string> { ["nvidia.com/gpu"] = "1" });
        job.Spec.Template.Spec.ServiceAccountName.Should().Be("gpu-runner");
    }

    [Fact]
    public void Build_NoImageAnywhere_FailsNamingTheField()
    {
        BuildResult(new TaskSpec { Name = "load" }, new TaskDefaults()).Error
            .Should().Be("task load: image: no image (set spec.tasks[].image or spec.defaults.image)");
    }

    [Fact]
    public void Build_PodTemplates_MergedLast_DefaultsThenTask()
    {
        var defaults = new TaskDefaults
        {
            Image = "python:3.12",
            PodTemplate = JsonNode.Parse("""
                {"nodeSelector": {"pool": "cpu", "zone": "a"}, "tolerations": [{"key": "batch"}],
                 "imagePullSecrets": [{"name": "registry"}], "securityContext": {"runAsNonRoot": true}}
                """)!.AsObject(),
        };
        var task = new TaskSpec
        {
            Name = "train",
            ServiceAccountName = "runner",
            PodTemplate = JsonNode.Parse("""
                {"nodeSelector": {"pool": "gpu", "zone": null}, "affinity": {"nodeAffinity": {}},
                 "volumes": [{"name": "data", "emptyDir": {}}], "priorityClassName": "high", "serviceAccountName": "override"}
                """)!.AsObject(),
        };

        var pod = JsonSerializer.SerializeToNode(Build(task, defaults), KubeJson.Options)!["spec"]!["template"]!["spec"]!;

        pod["nodeSelector"]!.ToJsonString().Should().Be("""{"pool":"gpu"}""");
        pod["tolerations"]!.ToJsonString().Should().Be("""[{"key":"batch"}]""");
        pod["imagePullSecrets"]!.ToJsonString().Should().Be("""[{"name":"registry"}]""");
        pod["securityContext"]!.ToJsonString().Should().Be("""{"runAsNonRoot":true}""");
        pod["affinity"]!.ToJsonString().Should().Be("""{"nodeAffinity":{}}""");
        pod["volumes"]!.ToJsonString().Should().Be("""[{"name":"data","emptyDir":{}}]""");
        ((string?)pod["priorityClassName"]).Should().Be("high", "fields the DTO does not model pass through");
        ((string?)pod["serviceAccountName"]).Should().Be("override", "the pod template is merged last");
        ((string?)pod["containers"]![0]!["name"]).Should().Be("main");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Build_PodTemplateOnOneLevelOnly_MergesIntoTheFullPodSpec(bool onDefaults, bool onTask)
    {
        var template = JsonNode.Parse("""{"nodeSelector": {"pool": "gpu"}}""")!.AsObject();
        var defaults = new TaskDefaults { Image = "python:3.12", PodTemplate = onDefaults ? template : null };
        var task = new TaskSpec { Name = "train", PodTemplate = onTask ? template : null };

        var job = Build(task, defaults);

        MainContainer(job).Image.Should().Be("python:3.12");
        job.Spec.Template.Spec.RestartPolicy.Should().Be("Never");
        job.Spec.Template.Spec.NodeSelector.Should().Equal(new Dictionary<string, string> { ["pool"] = "gpu" });
    }

    [Fact]
    public void Build_PodTemplateMetadata_LabelsAndAnnotationsGoOnThePod_K8sFlowsOwnWin()
    {
        var defaults = new TaskDefaults
        {
            Image = "python:3.12",
            PodTemplate = JsonNode.Parse("""{"metadata": {"annotations": {"sidecar.istio.io/inject": "false"}}}""")!.AsObject(),
        };
        var task = new TaskSpec
        {
            Name = "train",
            PodTemplate = JsonNode.Parse("""
                {"metadata": {"labels": {"team": "ml", "k8sflow.io/task": "other"}, "annotations": {"prometheus.io/scrape": "true"}},
                 "nodeSelector": {"pool": "gpu"}}
                """)!.AsObject(),
        };

        var job = Build(task, defaults);

        var pod = job.Spec.Template;
        pod.Metadata!.Labels.Should().Contain("team", "ml").And.Contain(K8sFlowApi.Labels.Task, "train");
        pod.Metadata.Annotations.Should().Contain("sidecar.istio.io/inject", "false").And.Contain("prometheus.io/scrape", "true")
            .And.Contain(K8sFlowApi.Annotations.TaskName, "train");
        pod.Spec.NodeSelector.Should().Equal(new Dictionary<string, string> { ["pool"] = "gpu" });
        pod.Spec.AdditionalFields.Should().BeNull("metadata is not a pod spec field");
        job.Metadata.Labels.Should().NotContainKey("team", "the podTemplate shapes the pod, not the Job");
    }

    [Theory]
    [InlineData("""{"metadata": {"name": "fixed"}}""", "task train: podTemplate: metadata.name: only metadata.labels and metadata.annotations apply to task pods")]
    [InlineData("""{"metadata": "x"}""", "task train: podTemplate: metadata: expected an object with labels and/or annotations")]
    public void Build_PodTemplateMetadataBeyondLabelsAndAnnotations_FailsNamingTheField(string template, string error)
    {
        var task = new TaskSpec { Name = "train", PodTemplate = JsonNode.Parse(template)!.AsObject() };

        BuildResult(task).Error.Should().Be(error);
    }

    [Fact]
    public void Build_PodTemplateOfTheWrongShape_FailsNamingTaskAndField()
    {
        var task = new TaskSpec { Name = "train", PodTemplate = new JsonObject { ["nodeSelector"] = 5 } };

        BuildResult(task).Error.Should().StartWith("task train: podTemplate: ");
    }

    [Fact]
    public void Build_Workspace_MountsTheRunsClaim()
    {
        var job = Build(new TaskSpec { Name = "load" }, workspace: new WorkspaceSpec { Size = "2Gi" });

        var volume = job.Spec.Template.Spec.Volumes.Should().ContainSingle().Subject;
        volume.PersistentVolumeClaim!.ClaimName.Should().Be("etl-manual-1-workspace");
        MainContainer(job).VolumeMounts.Should().ContainSingle().Which.Should().BeEquivalentTo(new VolumeMount { Name = volume.Name, MountPath = "/workspace" });
        Env(job).Should().Contain("K8SFLOW_WORKSPACE", "/workspace");
    }

    [Theory]
    [InlineData(null, null, "1Gi")]
    [InlineData("5Gi", "fast", "5Gi")]
    public void BuildWorkspaceClaim_OwnedByTheRun_WithSizeAndClass(string? size, string? storageClass, string expectedSize)
    {
        var claim = JobFactory.BuildWorkspaceClaim(RunOf(), new WorkspaceSpec { Size = size, StorageClassName = storageClass });

        claim.Metadata.Name.Should().Be("etl-manual-1-workspace");
        claim.Metadata.Namespace.Should().Be(Ns);
        claim.Metadata.OwnerReferences.Should().ContainSingle().Which.Uid.Should().Be(RunUid);
        claim.Metadata.Labels.Should().Contain(K8sFlowApi.Labels.DagRun, RunName);
        claim.Spec.Resources!.Requests.Should().Equal(new Dictionary<string, string> { ["storage"] = expectedSize });
        claim.Spec.StorageClassName.Should().Be(storageClass);
        claim.Spec.AccessModes.Should().Equal("ReadWriteOnce");
    }

    [Fact]
    public void Build_LongRunName_LabelValueFitsAndIsStable()
    {
        var longName = "etl-" + new string('x', 100);

        var job = Build(new TaskSpec { Name = "load" }, run: RunOf(longName));

        var label = job.Metadata.Labels![K8sFlowApi.Labels.DagRun];
        Names.IsLabelValue(label).Should().BeTrue();
        label.Should().Be(Names.ToLabelValue(longName)).And.NotBe(Names.ToLabelValue(longName + "y"));
        job.Metadata.Name!.Length.Should().BeLessThanOrEqualTo(63);
        JobFactory.WorkspaceClaimName(new string('r', 253)).Should().HaveLength(253).And.EndWith("-workspace");
    }
}
