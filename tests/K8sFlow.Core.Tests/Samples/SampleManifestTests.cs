using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Crds;
using K8sFlow.Core.Tests.Crds;

namespace K8sFlow.Core.Tests.Samples;

/// <summary>The manifests in config/samples are what users copy first: they must be valid for the CRDs and the strict reader.</summary>
public class SampleManifestTests
{
    private static string SamplesDir => RepoFiles.PathOf(Path.Combine("config", "samples"));

    private static IEnumerable<string> FileNames =>
        Directory.GetFiles(SamplesDir, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

    public static TheoryData<string> SampleFiles => [.. FileNames];

    private static IReadOnlyList<JsonNode> Documents(string file) =>
        [.. YamlJson.Documents(File.ReadAllText(Path.Combine(SamplesDir, file))).Select(d => d!)];

    private static JsonObject SchemaFor(string kind)
    {
        var crd = CrdGenerator.All.Single(c => c.Kind == kind);
        var committed = File.ReadAllText(RepoFiles.PathOf(Path.Combine("crds", crd.FileName)));
        return SchemaCheck.OpenApiSchema(YamlJson.Documents(committed).Single()!);
    }

    private static T Read<T>(string file) => Documents(file).Single().Deserialize<T>(K8sFlowJson.Options)!;

    [Fact]
    public void Samples_IncludeThePipelineAndTheSmallExamples()
    {
        FileNames.Should().Contain(
            ["ml-pipeline.yaml", "ml-pipeline-run.yaml", "hello-world.yaml", "fan-out-fan-in.yaml", "retries.yaml"]);
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Sample_DeserializesStrictlyAndMatchesTheCrdSchema(string file)
    {
        foreach (var document in Documents(file))
        {
            var kind = document["kind"]?.GetValue<string>();
            (document["apiVersion"]?.GetValue<string>()).Should().Be(K8sFlowApi.ApiVersion, file);
            var type = kind switch
            {
                K8sFlowApi.DagKind => typeof(Dag),
                K8sFlowApi.DagRunKind => typeof(DagRun),
                _ => throw new InvalidDataException($"{file}: kind '{kind}' is not Dag or DagRun"),
            };

            var read = () => document.Deserialize(type, K8sFlowJson.Options);
            read.Should().NotThrow($"{file} must read with the strict K8sFlowJson options");
            SchemaCheck.Violations(document, SchemaFor(kind)).Should().BeEmpty($"{file} must pass the {kind} CRD schema");
        }
    }

    [Theory]
    [InlineData("ml-pipeline.yaml")]
    [InlineData("hello-world.yaml")]
    [InlineData("fan-out-fan-in.yaml")]
    [InlineData("retries.yaml")]
    public void SampleDag_DependsOnlyOnItsOwnTasks_WithoutCycles(string file)
    {
        var dag = Read<Dag>(file);
        var names = dag.Spec.Tasks.Select(t => t.Name).ToHashSet();
        dag.Spec.Tasks.SelectMany(t => t.DependsOn ?? []).Where(d => !names.Contains(d)).Should().BeEmpty(file);
        DagGraph.Build(dag.Spec).FindCycle().Should().BeNull(file);
    }

    [Fact]
    public void MlPipeline_IsTheSeedPipelineWithAnAccuracyGate()
    {
        var dag = Read<Dag>("ml-pipeline.yaml");
        var graph = DagGraph.Build(dag.Spec);

        graph.TopologicalOrder().Take(7).Should().Equal(
            "raw_to_bronze", "bronze_to_silver", "silver_to_gold", "feature_engineering",
            "model_training", "model_evaluation", "check_accuracy");
        graph["check_accuracy"].Type.Should().Be("branch");
        graph.Downstream["check_accuracy"].Should().BeEquivalentTo("model_registry", "notify_low_accuracy");
        graph.Leaves.Should().BeEquivalentTo("model_registry", "notify_low_accuracy");
        graph["check_accuracy"].Args.Should().Contain(["{{ tasks.model_evaluation.outputs.accuracy }}", "{{ params.threshold }}"]);

        dag.Spec.Schedule.Should().Be("0 2 * * *");
        dag.Spec.Timezone.Should().Be("Asia/Seoul");
        var dataset = dag.Spec.Params!["dataset"];
        dataset.Default!.GetValue<string>().Should().Be("wine");
        dataset.Enum!.Select(v => v!.GetValue<string>()).Should().Equal("iris", "wine", "breast_cancer");
        dag.Spec.Params["model_type"].Default!.GetValue<string>().Should().Be("random_forest");
        var threshold = dag.Spec.Params["threshold"];
        (threshold.Type, threshold.Minimum, threshold.Maximum).Should().Be(("number", 0d, 1d));
        threshold.Default!.GetValue<double>().Should().Be(0.8);
    }

    [Fact]
    public void MlPipelineRun_SetsOnlyParamsTheDagDeclares_WithAllowedValues()
    {
        var dag = Read<Dag>("ml-pipeline.yaml");
        var run = Read<DagRun>("ml-pipeline-run.yaml");

        run.Spec.DagName.Should().Be(dag.Metadata.Name);
        foreach (var (name, value) in run.Spec.Params!)
        {
            dag.Spec.Params.Should().ContainKey(name);
            var declared = dag.Spec.Params![name];
            if (declared.Enum is { } allowed)
            {
                allowed.Select(a => a!.ToJsonString()).Should().Contain(value!.ToJsonString(), $"param {name}");
            }
            if (declared.Minimum is { } min && declared.Maximum is { } max)
            {
                value!.GetValue<double>().Should().BeInRange(min, max, $"param {name}");
            }
        }
    }
}
