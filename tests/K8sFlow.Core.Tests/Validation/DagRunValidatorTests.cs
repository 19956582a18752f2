using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Tests.Manifests;
using K8sFlow.Core.Validation;

namespace K8sFlow.Core.Tests.Validation;

public class DagRunValidatorTests
{
    private static readonly Dag MlPipeline = ManifestLoader.Load(SampleManifests.MlPipeline).Dags.Single().Resource;

    private static List<string> Validate(string spec, string metadata = "{generateName: ml-pipeline-manual-}", Dag? dag = null)
    {
        var text = $"apiVersion: k8sflow.io/v1alpha1\nkind: DagRun\nmetadata: {metadata}\nspec: {spec}\n";
        var loaded = ManifestLoader.Load(text, "run.yaml");
        loaded.Diagnostics.Should().BeEmpty("the test manifest must load");
        var run = loaded.DagRuns.Single();
        return [.. DagRunValidator.Validate(run.Resource, dag, run.Source).Select(d => d.ToString())];
    }

    [Theory]
    [InlineData("{dagName: ml-pipeline}", "{}", "run.yaml:3: dag ml-pipeline: metadata.name: a DagRun needs metadata.name or metadata.generateName")]
    [InlineData("{dagName: ml-pipeline}", "{name: Run_1}", "run.yaml:3: dag ml-pipeline: dagrun Run_1: metadata.name: invalid DagRun name \"Run_1\": use lowercase letters, digits, '-' or '.', starting and ending with a letter or digit")]
    [InlineData("{runType: manual}", "{name: r}", "run.yaml:4: dagrun r: spec.dagName: a DagRun needs spec.dagName (the Dag to run)")]
    [InlineData("{dagName: ML}", "{name: r}", "run.yaml:4: dag ML: dagrun r: spec.dagName: invalid Dag name \"ML\"")]
    [InlineData("{dagName: d, runType: sheduled}", "{name: r}", "run.yaml:4: dag d: dagrun r: spec.runType: unknown run type \"sheduled\" (did you mean \"scheduled\"?) (expected one of manual, scheduled, backfill, asset_triggered)")]
    [InlineData("{dagName: d, dataIntervalStart: 2026-01-02T00:00:00Z, dataIntervalEnd: 2026-01-01T00:00:00Z}", "{name: r}", "run.yaml:4: dag d: dagrun r: spec.dataIntervalEnd: dataIntervalEnd 2026-01-01T00:00:00+00:00 is before dataIntervalStart 2026-01-02T00:00:00+00:00")]
    public void Validate_BadRun_NamesRunAndField(string spec, string metadata, string expected)
    {
        Validate(spec, metadata).Should().Equal(expected);
    }

    [Fact]
    public void Validate_GoodRun_IsValid()
    {
        Validate("{dagName: ml-pipeline, runType: manual, params: {dataset: iris}}", dag: MlPipeline).Should().BeEmpty();
    }

    [Fact]
    public void Validate_WithItsDag_ChecksParams()
    {
        var messages = Validate("{dagName: ml-pipeline, params: {dataset: mnist, threshold: 2, epochs: 3}}", dag: MlPipeline);

        messages.Should().Equal(
            "run.yaml:4: dag ml-pipeline: dagrun ml-pipeline-manual-: spec.params.epochs: param epochs: unknown param (declared: dataset, threshold)",
            "run.yaml:4: dag ml-pipeline: dagrun ml-pipeline-manual-: spec.params.dataset: param dataset: \"mnist\" is not one of \"iris\", \"wine\", \"breast_cancer\"",
            "run.yaml:4: dag ml-pipeline: dagrun ml-pipeline-manual-: spec.params.threshold: param threshold: 2 is above the maximum 1");
    }
}
