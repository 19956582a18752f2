using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;

namespace K8sFlow.Core.Tests.Manifests;

public class ManifestLoaderTests
{
    [Fact]
    public void Load_MlPipeline_GivesTypedDag()
    {
        var result = ManifestLoader.Load(SampleManifests.MlPipeline, "ml-pipeline.yaml");

        result.Diagnostics.Should().BeEmpty();
        var dag = result.Dags.Should().ContainSingle().Subject.Resource;
        dag.Metadata.Name.Should().Be("ml-pipeline");
        dag.Spec.Schedule.Should().Be("0 2 * * *");
        dag.Spec.StartDate.Should().Be(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        dag.Spec.MaxActiveRuns.Should().Be(1);
        dag.Spec.Tasks.Should().HaveCount(9);
        dag.Spec.Tasks[5].Type.Should().Be("branch");
        dag.Spec.Params!["threshold"].Default!.GetValue<double>().Should().Be(0.8);
        dag.Spec.Params["dataset"].Enum!.Select(e => e!.GetValue<string>()).Should().Equal("iris", "wine", "breast_cancer");
        dag.Spec.Defaults!.Retries.Should().Be(2);
    }

    [Fact]
    public void Load_MultiDocument_LoadsEachKindAndRecordsStartLines()
    {
        var text = """
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {name: one}
            spec:
              tasks: [{name: a, image: busybox, command: [echo]}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {a: "1"}
            ---
            # a run of dag one
            apiVersion: k8sflow.io/v1alpha1
            kind: DagRun
            metadata: {generateName: one-manual-}
            spec: {dagName: one, params: {n: 3}}
            ---
            """;

        var result = ManifestLoader.Load(text, "all.yaml");

        result.Dags.Should().ContainSingle().Which.Source.Should().BeEquivalentTo(new { File = "all.yaml", DocumentIndex = 0, StartLine = 1 });
        var run = result.DagRuns.Should().ContainSingle().Subject;
        run.Resource.Spec.DagName.Should().Be("one");
        run.Resource.Spec.Params!["n"]!.GetValue<long>().Should().Be(3);
        run.Source.DocumentIndex.Should().Be(2);
        run.Source.StartLine.Should().Be(13);
        result.HasErrors.Should().BeFalse();
        result.Diagnostics.Should().ContainSingle().Which.ToString()
            .Should().Be("all.yaml:7: info: skipped ConfigMap settings (v1 is not a K8sFlow resource)");
    }

    [Fact]
    public void Load_Json_LoadsWithLineNumbers()
    {
        var json = """
            {
            	"apiVersion": "k8sflow.io/v1alpha1",
            	"kind": "Dag",
            	"metadata": {"name": "from-json"},
            	"spec": {
            		"tasks": [
            			{"name": "a", "image": "busybox", "command": ["echo"], "retries": "two"}
            		]
            	}
            }
            """;

        var result = ManifestLoader.Load(json, "dag.json");

        result.Diagnostics.Should().ContainSingle().Which.ToString()
            .Should().Be("dag.json:7: dag from-json: task a: spec.tasks[0].retries: expected an integer, got \"two\"");
    }

    [Fact]
    public void Load_ValidJson_GivesDag()
    {
        var json = """{"apiVersion": "k8sflow.io/v1alpha1", "kind": "Dag", "metadata": {"name": "j"}, "spec": {"tasks": [{"name": "a", "image": "busybox", "command": ["echo", "{{ ds }}"], "retries": 2}]}}""";

        var result = ManifestLoader.Load(json, "dag.json");

        result.Diagnostics.Should().BeEmpty();
        result.Dags.Single().Resource.Spec.Tasks.Single().Retries.Should().Be(2);
    }

    [Fact]
    public void Load_WrongType_NamesFileLineDagTaskAndField()
    {
        var text = SampleManifests.MlPipeline.Replace("    dependsOn: [model_training]", "    dependsOn: [model_training]\n    retries: two", StringComparison.Ordinal);

        var result = ManifestLoader.Load(text, "dag.yaml");

        result.Dags.Should().BeEmpty();
        var line = text.Split('\n').ToList().FindIndex(l => l.Contains("retries: two", StringComparison.Ordinal)) + 1;
        result.Diagnostics.Should().ContainSingle().Which.ToString()
            .Should().Be($"dag.yaml:{line}: dag ml-pipeline: task model_evaluation: spec.tasks[4].retries: expected an integer, got \"two\"");
    }

    [Theory]
    [InlineData("    retries: 1.5", "spec.tasks[0].retries: expected an integer, got \"1.5\"")]
    [InlineData("    retries: [1]", "spec.tasks[0].retries: expected an integer, got a list")]
    [InlineData("    retries: 99999999999", "spec.tasks[0].retries: expected an integer, got \"99999999999\"")]
    [InlineData("    retryExponentialBackoff: yes", "spec.tasks[0].retryExponentialBackoff: expected true or false, got \"yes\"")]
    [InlineData("    command: echo", "spec.tasks[0].command: expected a list, got \"echo\"")]
    [InlineData("    env: {A: b}", "spec.tasks[0].env: expected a list, got a mapping")]
    [InlineData("    image: {name: x}", "spec.tasks[0].image: expected a string, got a mapping")]
    [InlineData("    podTemplate: [1]", "spec.tasks[0].podTemplate: expected a mapping, got a list")]
    [InlineData("    dependsOn: [~]", "spec.tasks[0].dependsOn[0]: expected a string, got null")]
    [InlineData("    env: [{name: ~}]", "spec.tasks[0].env[0].name: expected a string, got null")]
    [InlineData("    resources: {limits: {cpu: ~}}", "spec.tasks[0].resources.limits.cpu: expected a string, got null")]
    [InlineData("    retry: 3", "spec.tasks[0].retry: unknown field \"retry\" (did you mean \"retries\"?)")]
    [InlineData("    Image: busybox", "spec.tasks[0].Image: unknown field \"Image\" (did you mean \"image\"?)")]
    [InlineData("    dependson: [x]", "spec.tasks[0].dependson: unknown field \"dependson\" (did you mean \"dependsOn\"?)")]
    public void Load_BadField_ReportsTypedMessage(string line, string expected)
    {
        var text = $"""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {"{name: d}"}
            spec:
              tasks:
              - name: t
            {line}
            """;

        var result = ManifestLoader.Load(text, "d.yaml");

        result.Diagnostics.Should().ContainSingle().Which.ToString().Should().Be($"d.yaml:7: dag d: task t: {expected}");
    }

    [Theory]
    [InlineData("  tasks: [{name: ~, image: i, command: [c]}]", "d.yaml:5: dag d: spec.tasks[0].name: expected a string, got null")]
    [InlineData("  params: {p: ~}\n  tasks: []", "d.yaml:5: dag d: spec.params.p: expected a mapping, got null")]
    [InlineData("  tasks: [~]", "d.yaml:5: dag d: spec.tasks[0]: expected a mapping, got null")]
    public void Load_NullWhereAValueIsRequired_IsAnError(string spec, string expected)
    {
        var text = $"apiVersion: k8sflow.io/v1alpha1\nkind: Dag\nmetadata: {{name: d}}\nspec:\n{spec}\n";

        ManifestLoader.Load(text, "d.yaml").Diagnostics.Select(d => d.ToString()).Should().Equal(expected);
    }

    [Fact]
    public void Load_NullInOptionalField_IsAbsent()
    {
        var text = SampleManifests.Minimal.Replace("    image: busybox\n    command: [echo, a]", "    image: busybox\n    command: [echo, a]\n    retries: ~\n    env: null", StringComparison.Ordinal);

        text.Should().Contain("retries: ~", "the test edits the manifest");

        var result = ManifestLoader.Load(text, "m.yaml");

        result.Diagnostics.Should().BeEmpty();
        var task = result.Dags.Single().Resource.Spec.Tasks[0];
        task.Retries.Should().BeNull();
        task.Env.Should().BeNull();
    }

    [Fact]
    public void Load_SeveralBadFields_ReportsAllOfThem()
    {
        var text = """
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {name: d}
            spec:
              maxActiveRuns: many
              startDate: yesterday
              tasks:
              - {name: t, retries: x}
            """;

        var result = ManifestLoader.Load(text, "d.yaml");

        result.Diagnostics.Select(d => d.ToString()).Should().Equal(
            "d.yaml:5: dag d: spec.maxActiveRuns: expected an integer, got \"many\"",
            "d.yaml:6: dag d: spec.startDate: expected a date-time such as 2026-01-01T00:00:00Z, got \"yesterday\"",
            "d.yaml:8: dag d: task t: spec.tasks[0].retries: expected an integer, got \"x\"");
    }

    [Theory]
    [InlineData("image: 3.11", "3.11")]
    [InlineData("image: 3.10", "3.10")]
    [InlineData("image: 0755", "0755")]
    [InlineData("image: true", "true")]
    [InlineData("image: 1e3", "1e3")]
    [InlineData("image: '3.10'", "3.10")]
    [InlineData("image: !!str 3.10", "3.10")]
    public void Load_PlainScalarInStringField_KeepsTextAsWritten(string line, string expected)
    {
        var text = $"""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {"{name: d}"}
            spec:
              schedule: 5
              tasks:
              - name: 7
                {line}
                args: [1.50, yes, 007]
                env: [{"{name: N, value: 10}"}]
            """;

        var result = ManifestLoader.Load(text, "d.yaml");

        result.Diagnostics.Should().BeEmpty();
        var dag = result.Dags.Single().Resource;
        dag.Spec.Schedule.Should().Be("5");
        var task = dag.Spec.Tasks.Single();
        task.Name.Should().Be("7");
        task.Image.Should().Be(expected);
        task.Args.Should().Equal("1.50", "yes", "007");
        task.Env!.Single().Value.Should().Be("10");
    }

    [Fact]
    public void Load_FreeFormValues_InferYamlTypes()
    {
        var text = """
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {name: d}
            spec:
              params:
                a: {default: 3}
                b: {default: 0.5}
                c: {default: true}
                d: {default: "3"}
                e: {default: ~}
                f: {default: [1, x, {k: null}]}
                g: {default: 0x1F}
                h: {default: !!str 3}
              tasks: [{name: t, image: i, command: [c]}]
            """;

        var result = ManifestLoader.Load(text, "d.yaml");

        result.Diagnostics.Should().BeEmpty();
        var p = result.Dags.Single().Resource.Spec.Params!;
        p["a"].Default!.GetValue<long>().Should().Be(3);
        p["b"].Default!.GetValue<double>().Should().Be(0.5);
        p["c"].Default!.GetValue<bool>().Should().BeTrue();
        p["d"].Default!.GetValue<string>().Should().Be("3");
        p["e"].Default.Should().BeNull();
        p["f"].Default!.ToJsonString().Should().Be("""[1,"x",{"k":null}]""");
        p["g"].Default!.GetValue<long>().Should().Be(31);
        p["h"].Default!.GetValue<string>().Should().Be("3", "!!str keeps a plain scalar a string");
    }

    [Theory]
    [InlineData("a: 1\n b: 2\n", 2)]
    [InlineData("apiVersion: k8sflow.io/v1alpha1\nkind: Dag\nmetadata: {name: d\nspec: {}\n", 3)]
    [InlineData("apiVersion: k8sflow.io/v1alpha1\nkind: Dag\nkind: Dag\n", 3)]
    [InlineData("x: \"unterminated\n", 1)]
    public void Load_YamlSyntaxError_GivesFileAndLineWithoutThrowing(string text, int line)
    {
        var result = ManifestLoader.Load(text, "broken.yaml");

        var error = result.Diagnostics.Should().ContainSingle().Subject;
        error.Severity.Should().Be(Severity.Error);
        error.File.Should().Be("broken.yaml");
        error.Line.Should().Be(line);
        error.ToString().Should().StartWith($"broken.yaml:{line}: YAML syntax error: ");
    }

    [Fact]
    public void Load_SyntaxErrorInSecondDocument_KeepsTheFirst()
    {
        var text = SampleManifests.Minimal + "\n---\nkind: [\n";

        var result = ManifestLoader.Load(text, "two.yaml");

        result.Dags.Should().ContainSingle();
        result.Diagnostics.Should().ContainSingle().Which.DocumentIndex.Should().Be(1);
    }

    [Theory]
    [InlineData("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: dags.k8sflow.io}\n",
        "info: skipped CustomResourceDefinition dags.k8sflow.io (apiextensions.k8s.io/v1 is not a K8sFlow resource)")]
    [InlineData("apiVersion: k8sflow.io/v1\nkind: Dag\n", "apiVersion: unsupported apiVersion \"k8sflow.io/v1\" (expected k8sflow.io/v1alpha1)")]
    [InlineData("apiVersion: k8sflow.io/v1alpha1\nkind: Dga\n", "kind: unknown kind \"Dga\" (expected Dag or DagRun)")]
    [InlineData("kind: Dag\n", "apiVersion: missing apiVersion (a K8sFlow manifest starts with apiVersion: k8sflow.io/v1alpha1 and kind: Dag or DagRun)")]
    [InlineData("- a\n- b\n", "expected a Kubernetes object (a mapping with apiVersion and kind), got a list")]
    public void Load_DocumentKinds_AreSkippedOrRejected(string text, string expected)
    {
        var result = ManifestLoader.Load(text, "x.yaml");

        result.Diagnostics.Should().ContainSingle().Which.ToString().Should().Be("x.yaml:1: " + expected);
    }

    [Fact]
    public void Load_EmptyText_FindsNothing()
    {
        var result = ManifestLoader.Load("# only a comment\n", "empty.yaml");

        result.Dags.Should().BeEmpty();
        result.Diagnostics.Should().BeEmpty();
    }

    [Fact]
    public void Load_KubectlOutputMetadata_IsAccepted()
    {
        var text = SampleManifests.Minimal.Replace("  name: small", "  name: small\n  uid: 1234\n  resourceVersion: \"42\"\n  managedFields: [{manager: kubectl}]", StringComparison.Ordinal);

        var result = ManifestLoader.Load(text, "get.yaml");

        result.Diagnostics.Should().BeEmpty();
        result.Dags.Single().Resource.Metadata.ResourceVersion.Should().Be("42");
    }

    [Fact]
    public void Load_AnchorsAndAliases_AreExpanded()
    {
        var text = """
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {name: d}
            spec:
              tasks:
              - {name: a, image: i, command: [c], env: &env [{name: LEVEL, value: debug}]}
              - {name: b, image: i, command: [c], env: *env}
            """;

        var tasks = ManifestLoader.Load(text, "d.yaml").Dags.Single().Resource.Spec.Tasks;

        tasks[1].Env.Should().BeEquivalentTo(tasks[0].Env);
    }

    [Fact]
    public void Load_AliasBomb_IsRefusedNotExpanded()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 8; i++)
        {
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }
        var text = "apiVersion: k8sflow.io/v1alpha1\nkind: Dag\nmetadata: {name: b}\nspec:\n  defaults:\n   podTemplate:\n"
            + string.Join('\n', lines.Select(l => "    " + l)) + "\n  tasks: []\n";

        var result = ManifestLoader.Load(text, "bomb.yaml");

        result.Diagnostics.Should().ContainSingle().Which.Message.Should().Be("aliases (*name) expand to more than 50000 nodes; refusing to load the document");
    }

    [Fact]
    public void SourceMap_LineOf_FallsBackToNearestWrittenAncestor()
    {
        var result = ManifestLoader.Load(SampleManifests.Minimal, "m.yaml");
        var source = result.Dags.Single().Source;

        source.LineOf("spec.tasks[1].dependsOn[0]").Should().Be(12);
        source.LineOf("spec.tasks[1].retries").Should().Be(10, "an unwritten field points at its task");
        source.LineOf("spec.schedule").Should().Be(5, "an unwritten spec field points at spec");
        source.LineOf("nothing").Should().Be(1);
    }

    [Fact]
    public void Load_DagRun_ParsesDatesAndParams()
    {
        var text = """
            apiVersion: k8sflow.io/v1alpha1
            kind: DagRun
            metadata: {name: r1}
            spec:
              dagName: ml-pipeline
              runType: backfill
              logicalDate: 2026-01-02T00:00:00Z
              params: {dataset: iris, threshold: 0.9, tags: [a], cfg: {lr: 0.1}}
            """;

        var run = ManifestLoader.Load(text, "r.yaml").DagRuns.Single().Resource;

        run.Spec.LogicalDate.Should().Be(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
        run.Spec.Params!.ToDictionary(kv => kv.Key, kv => kv.Value!.ToJsonString()).Should().Equal(new Dictionary<string, string>
        {
            ["dataset"] = "\"iris\"",
            ["threshold"] = "0.9",
            ["tags"] = "[\"a\"]",
            ["cfg"] = "{\"lr\":0.1}",
        });
    }

    [Fact]
    public void Load_DagRunTypeError_NamesTheRun()
    {
        var text = "apiVersion: k8sflow.io/v1alpha1\nkind: DagRun\nmetadata: {name: r1}\nspec:\n  dagName: [a]\n";

        var diagnostic = ManifestLoader.Load(text, "r.yaml").Diagnostics.Single();

        diagnostic.ToString().Should().Be("r.yaml:5: dagrun r1: spec.dagName: expected a string, got a list");
    }

    [Fact]
    public void Load_SerializedDag_RoundTripsThroughJson()
    {
        var first = ManifestLoader.Load(SampleManifests.MlPipeline, "a.yaml").Dags.Single().Resource;
        var json = System.Text.Json.JsonSerializer.Serialize(first, K8sFlowJson.Options);
        var again = ManifestLoader.Load(json, "a.json").Dags.Single().Resource;

        System.Text.Json.JsonSerializer.Serialize(again, K8sFlowJson.Options).Should().Be(json);
        JsonNode.Parse(json)!["spec"]!["tasks"]!.AsArray().Should().HaveCount(9);
    }
}
