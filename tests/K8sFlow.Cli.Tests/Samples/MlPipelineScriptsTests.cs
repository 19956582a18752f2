using System.Security.Cryptography;
using System.Text.Json.Nodes;
using K8sFlow.Core.Templating;

namespace K8sFlow.Cli.Tests.Samples;

/// <summary>
/// The ML pipeline sample's Python tasks (config/samples/ml-pipeline/app) run as K8sFlow runs them locally:
/// real processes, real scikit-learn (Debian's python3-sklearn, `make deps` installs it), the manifest's own
/// commands and templated args. One full run (threshold 0.5, MLflow pointed at a fake server) is shared.
/// </summary>
public sealed class MlPipelineScriptsTests(MlPipelineScriptsTests.PipelineRun shared) : IClassFixture<MlPipelineScriptsTests.PipelineRun>
{
    private const string WineRows = "178"; // sklearn.datasets.load_wine

    /// <summary>The whole Dag run once, with tracking to a fake MLflow server.</summary>
    public sealed class PipelineRun : IDisposable
    {
        public PipelineRun()
        {
            Run = new MlPipelineLocalRun(
                new Dictionary<string, JsonNode?> { ["threshold"] = 0.5 },
                new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = Mlflow.Uri });
            Run.RunAll();
        }

        internal FakeMlflowServer Mlflow { get; } = new();

        internal MlPipelineLocalRun Run { get; }

        public void Dispose()
        {
            Run.Dispose();
            Mlflow.Dispose();
        }
    }

    private MlPipelineLocalRun Run => shared.Run;

    [Theory]
    [InlineData("raw_to_bronze", new[] { "rows_ingested", "columns", "path" })]
    [InlineData("bronze_to_silver", new[] { "rows", "rows_dropped", "quality_score", "path" })]
    [InlineData("silver_to_gold", new[] { "rows", "classes", "path", "summary_path" })]
    [InlineData("feature_engineering", new[] { "features", "features_dropped", "train_rows", "test_rows" })]
    [InlineData("model_training", new[] { "model_type", "train_accuracy", "path" })]
    [InlineData("model_evaluation", new[] { "accuracy", "f1_score", "test_rows" })]
    [InlineData("check_accuracy", new[] { "branch", "accuracy", "threshold", "passed" })]
    [InlineData("model_registry", new[] { "model_name", "model_version", "model_uri" })]
    public void Pipeline_Task_ExitsZero_AndOutputsOneJsonObjectWithItsKeys(string task, string[] keys)
    {
        var attempt = Run.Attempts.GetValueOrDefault(task);

        attempt.Should().NotBeNull($"{task} is on the path of a run whose accuracy clears 0.5");
        attempt!.ExitCode.Should().Be(0, attempt.ToString());
        attempt.Outputs.Keys.Should().BeEquivalentTo(keys, attempt.ToString());
        attempt.OutputText.Length.Should().BeLessThan(4096, "a termination message holds at most 4096 bytes");
    }

    [Fact]
    public void Pipeline_Ingest_TakesTheWholeDataSet_AndCleaningAccountsForEveryRow()
    {
        var ingested = Run.Attempts["raw_to_bronze"].Outputs;
        var cleaned = Run.Attempts["bronze_to_silver"].Outputs;

        ingested["rows_ingested"].Should().Be(WineRows);
        (int.Parse(cleaned["rows"]) + int.Parse(cleaned["rows_dropped"])).Should().Be(int.Parse(WineRows));
        double.Parse(cleaned["quality_score"]).Should().BeInRange(0.9, 1.0);
        File.Exists(Path.Combine(Run.Workspace, ingested["path"])).Should().BeTrue();
        File.Exists(Path.Combine(Run.Workspace, Run.Attempts["silver_to_gold"].Outputs["summary_path"])).Should().BeTrue();
    }

    [Fact]
    public void Pipeline_Evaluation_ReportsAccuracyAndMacroF1_OfTheChosenModel()
    {
        var evaluation = Run.Attempts["model_evaluation"].Outputs;
        var evaluationFile = JsonNode.Parse(File.ReadAllText(Path.Combine(Run.Workspace, "metrics", "evaluation.json")))!;

        double.Parse(evaluation["accuracy"]).Should().BeInRange(0, 1);
        double.Parse(evaluation["f1_score"]).Should().BeInRange(0, 1);
        evaluationFile["accuracy"]!.GetValue<double>().Should().Be(double.Parse(evaluation["accuracy"]));
        Run.Attempts["model_training"].Outputs["model_type"].Should().Be("random_forest", "the Dag's default model_type");
    }

    [Fact]
    public void Pipeline_AccuracyClearsTheThreshold_BranchChoosesModelRegistry_AndSkipsNotify()
    {
        var choice = Run.BranchChoice(Run.Attempts["check_accuracy"]);

        choice.Error.Should().BeNull();
        choice.Chosen.Should().BeEquivalentTo(["model_registry"]);
        Run.Skipped.Should().BeEquivalentTo(["notify_low_accuracy"]);
    }

    [Fact]
    public void Pipeline_Registry_HoldsTheModelAndItsMetadata()
    {
        var outputs = Run.Attempts["model_registry"].Outputs;
        var versionDir = Path.Combine(Run.Workspace, "registry", "wine_classifier", outputs["model_version"]);
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(versionDir, "metadata.json")))!;
        var model = Path.Combine(versionDir, "model.pkl");

        (outputs["model_name"], outputs["model_version"]).Should().Be(("wine_classifier", "1"));
        new Uri(outputs["model_uri"]).LocalPath.Should().Be(model);
        metadata["sha256"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model))));
        metadata["params"]!["dataset"]!.GetValue<string>().Should().Be("wine");
        metadata["params"]!["model_type"]!.GetValue<string>().Should().Be("random_forest");
        metadata["metrics"]!["accuracy"]!.GetValue<double>().Should().Be(double.Parse(Run.Attempts["model_evaluation"].Outputs["accuracy"]));
        metadata["run"]!["run_id"]!.GetValue<string>().Should().Be(Run.Context.RunId);
        DateTimeOffset.Parse(metadata["created"]!.GetValue<string>()).Should().BeAfter(DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void ModelRegistry_RetriedInTheSameRun_KeepsItsVersion()
    {
        var retry = Run.RunTask("model_registry", tryNumber: 2);

        retry.ExitCode.Should().Be(0, retry.ToString());
        retry.Outputs["model_version"].Should().Be("1");
        Directory.GetDirectories(Path.Combine(Run.Workspace, "registry", "wine_classifier")).Should().ContainSingle();
    }

    [Fact]
    public void Pipeline_TaskLogs_ShowParamsAndMetrics()
    {
        Run.Attempts["raw_to_bronze"].Stdout.Should().Contain("param dataset=wine").And.Contain($"metric rows_ingested={WineRows}");
        Run.Attempts["model_evaluation"].Stdout.Should().Contain("metric accuracy=").And.Contain("metric f1_score=");
    }

    [Fact]
    public void Pipeline_WithTrackingUri_LogsEveryTasksParamsAndMetricsToMlflow()
    {
        var runs = shared.Mlflow.Runs();
        FakeMlflowServer.LoggedRun MlflowRun(string task) => runs.First(r => r.Tags.GetValueOrDefault("k8sflow.task") == task);

        shared.Mlflow.Experiments.Keys.Should().Equal("lakehouse_ml_pipeline"); // the Dag's MLFLOW_EXPERIMENT_NAME
        runs.Select(r => r.Tags["k8sflow.task"]).Should().Contain(Run.Attempts.Keys);
        runs.Should().OnlyContain(r => r.Status == "FINISHED" && r.ExperimentId == shared.Mlflow.Experiments["lakehouse_ml_pipeline"]);
        runs.Should().OnlyContain(r => r.Tags["k8sflow.run_id"] == Run.Context.RunId && r.Tags["k8sflow.dag"] == "ml-pipeline");

        MlflowRun("raw_to_bronze").Metrics["rows_ingested"].Should().Be(double.Parse(WineRows));
        MlflowRun("raw_to_bronze").Params.Should().Contain("layer", "bronze").And.Contain("dataset", "wine");
        MlflowRun("bronze_to_silver").Metrics.Should().ContainKey("quality_score");
        MlflowRun("model_training").Params.Should().Contain("model_type", "random_forest");
        MlflowRun("model_training").Metrics.Should().ContainKey("train_accuracy");
        var evaluation = Run.Attempts["model_evaluation"].Outputs;
        MlflowRun("model_evaluation").Metrics.Should()
            .Contain("accuracy", double.Parse(evaluation["accuracy"])).And.Contain("f1_score", double.Parse(evaluation["f1_score"]));
    }

    [Theory]
    [InlineData("0.9", 0.8, "model_registry")]
    [InlineData("0.8", 0.8, "model_registry")] // reaching the threshold is enough
    [InlineData("0.79", 0.8, "notify_low_accuracy")]
    [InlineData("1.0", 1.01, "notify_low_accuracy")] // a threshold above 1 is never reached
    public void CheckAccuracy_ComparesTheEvaluatedAccuracyWithTheThreshold(string accuracy, double threshold, string expected)
    {
        var attempt = Run.RunTask("check_accuracy", WithAccuracyAndThreshold(accuracy, threshold));

        attempt.ExitCode.Should().Be(0, attempt.ToString());
        Run.BranchChoice(attempt).Chosen.Should().BeEquivalentTo([expected]);
        attempt.Outputs["accuracy"].Should().Be(accuracy);
    }

    [Fact]
    public void NotifyLowAccuracy_LogsWhyTheModelWasNotRegistered_AndOutputsNotified()
    {
        var attempt = Run.RunTask("notify_low_accuracy", WithAccuracyAndThreshold("0.42", 0.8));

        attempt.ExitCode.Should().Be(0, attempt.ToString());
        attempt.Outputs["notified"].Should().Be("true");
        attempt.Stdout.Should().Contain("0.4200").And.Contain("0.8000").And.Contain("NOT registered");
    }

    [Fact]
    public void Manifest_EveryTaskScript_ExistsUnderTheLocalMount()
    {
        Run.Mounts.Should().ContainKey("/app");
        foreach (var task in Run.Dag.Spec.Tasks)
        {
            var script = task.Command![1];
            File.Exists(Run.Mounts["/app"] + script["/app".Length..]).Should().BeTrue($"task {task.Name} runs {script}");
        }
    }

    [Fact]
    public void Task_TrackingServerUnreachable_StillSucceeds_AndWarns()
    {
        using var run = new MlPipelineLocalRun(env: new Dictionary<string, string>
        {
            ["MLFLOW_TRACKING_URI"] = $"http://127.0.0.1:{FakeMlflowServer.FreePort()}",
        });

        var attempt = run.RunTask("raw_to_bronze");

        attempt.ExitCode.Should().Be(0, attempt.ToString());
        attempt.Outputs["rows_ingested"].Should().Be(WineRows);
        attempt.Stderr.Should().Contain("warning: MLflow logging skipped");
    }

    [Fact]
    public void Task_WithoutTrackingUri_SkipsMlflowQuietly()
    {
        using var run = new MlPipelineLocalRun();

        var attempt = run.RunTask("raw_to_bronze");

        attempt.ExitCode.Should().Be(0, attempt.ToString());
        attempt.Stderr.Should().BeEmpty();
        attempt.Stdout.Should().NotContain("MLflow");
    }

    [Fact]
    public void Task_UnknownDataset_FailsNamingTheAcceptedValues()
    {
        using var run = new MlPipelineLocalRun();
        var context = run.Context with { Params = new Dictionary<string, JsonNode?>(run.Context.Params) { ["dataset"] = "mnist" } };

        var attempt = run.RunTask("raw_to_bronze", context);

        attempt.ExitCode.Should().Be(2);
        attempt.Stderr.Should().Contain("'mnist'").And.Contain("'iris', 'wine', 'breast_cancer'");
        attempt.OutputText.Should().BeEmpty();
    }

    [Fact]
    public void Task_UpstreamFilesMissing_FailsNamingTheFileAndTheTaskThatWritesIt()
    {
        using var run = new MlPipelineLocalRun();

        var attempt = run.RunTask("bronze_to_silver");

        attempt.ExitCode.Should().Be(2);
        attempt.Stderr.Should().Contain("bronze/wine.schema.json not found").And.Contain("run raw_to_bronze first");
    }

    private TemplateContext WithAccuracyAndThreshold(string accuracy, double threshold) => Run.Context with
    {
        Params = new Dictionary<string, JsonNode?>(Run.Context.Params) { ["threshold"] = threshold },
        TaskOutputs = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["model_evaluation"] = new Dictionary<string, string> { ["accuracy"] = accuracy },
        },
    };
}
