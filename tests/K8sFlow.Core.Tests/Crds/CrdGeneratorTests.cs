using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Crds;

namespace K8sFlow.Core.Tests.Crds;

public class CrdGeneratorTests
{
    public static TheoryData<string> Kinds => [K8sFlowApi.DagKind, K8sFlowApi.DagRunKind];

    private static CrdDefinition Definition(string kind) => CrdGenerator.All.Single(c => c.Kind == kind);

    /// <summary>The committed crds/ file parsed as kubectl would send it.</summary>
    private static JsonNode Committed(string kind) =>
        YamlJson.Documents(File.ReadAllText(RepoFiles.PathOf(Path.Combine("crds", Definition(kind).FileName)))).Single()!;

    private static JsonObject Schema(string kind) => SchemaCheck.OpenApiSchema(Committed(kind));

    [Fact]
    public void CommittedCrds_MatchTheGenerator()
    {
        var generated = CrdGenerator.GenerateAll();
        foreach (var crd in generated)
        {
            var path = RepoFiles.PathOf(Path.Combine("crds", crd.FileName));
            File.Exists(path).Should().BeTrue($"crds/{crd.FileName} must be committed: run `make crds`");
            File.ReadAllText(path).Should().Be(crd.Yaml, $"crds/{crd.FileName} is stale: run `make crds`");
        }
        Directory.GetFiles(RepoFiles.PathOf("crds"), "*.yaml").Select(Path.GetFileName)
            .Should().BeEquivalentTo(generated.Select(c => c.FileName), "crds/ holds only generated CRDs: run `make crds`");
    }

    [Fact]
    public void Generate_IsDeterministic()
    {
        CrdGenerator.GenerateAll().Should().BeEquivalentTo(CrdGenerator.GenerateAll(), o => o.WithStrictOrdering());
    }

    [Theory]
    [InlineData("Dag", "dags.k8sflow.io", "dags", "dag", "dag")]
    [InlineData("DagRun", "dagruns.k8sflow.io", "dagruns", "dagrun", "dr")]
    public void Crd_NamesKindForKubectl(string kind, string name, string plural, string singular, string shortName)
    {
        var crd = Committed(kind);
        crd["metadata"]!["name"]!.GetValue<string>().Should().Be(name);
        var spec = crd["spec"]!;
        spec["group"]!.GetValue<string>().Should().Be("k8sflow.io");
        spec["scope"]!.GetValue<string>().Should().Be("Namespaced");
        var names = spec["names"]!;
        names["kind"]!.GetValue<string>().Should().Be(kind);
        names["plural"]!.GetValue<string>().Should().Be(plural);
        names["singular"]!.GetValue<string>().Should().Be(singular);
        names["shortNames"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal(shortName);
        names["categories"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("k8sflow");
        var version = spec["versions"]!.AsArray().Single()!;
        version["name"]!.GetValue<string>().Should().Be("v1alpha1");
        version["served"]!.GetValue<bool>().Should().BeTrue();
        version["storage"]!.GetValue<bool>().Should().BeTrue();
        version["subresources"]!["status"].Should().BeOfType<JsonObject>();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Schema_IsStructural(string kind)
    {
        var schema = Schema(kind);
        schema["type"]!.GetValue<string>().Should().Be("object");
        schema["properties"]!["metadata"]!["type"]!.GetValue<string>().Should().Be("object");
        schema["properties"]!["metadata"]!["properties"].Should().BeNull("Kubernetes forbids describing metadata fields");

        var problems = new List<string>();
        CheckStructural(schema, kind, problems);
        problems.Should().BeEmpty();
    }

    private static void CheckStructural(JsonObject node, string path, List<string> problems)
    {
        var preserves = node["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        if (node["type"] is null && !preserves)
        {
            problems.Add($"{path}: neither type nor x-kubernetes-preserve-unknown-fields");
        }
        foreach (var forbidden in new[] { "$ref", "definitions", "oneOf", "anyOf", "allOf", "nullable", "x-nullable" })
        {
            if (node.ContainsKey(forbidden))
            {
                problems.Add($"{path}: {forbidden}");
            }
        }
        if (node["properties"] is not null && node["additionalProperties"] is not null)
        {
            problems.Add($"{path}: properties and additionalProperties are mutually exclusive");
        }
        foreach (var (name, child) in node["properties"]?.AsObject() ?? [])
        {
            CheckStructural(child!.AsObject(), $"{path}.{name}", problems);
        }
        if (node["items"] is JsonObject items)
        {
            CheckStructural(items, path + "[]", problems);
        }
        else if (node["type"]?.GetValue<string>() == "array")
        {
            problems.Add($"{path}: array without items");
        }
        if (node["additionalProperties"] is JsonObject values)
        {
            CheckStructural(values, path + ".*", problems);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Schema_DescribesEveryField(string kind)
    {
        var schema = Schema(kind);
        var undescribed = new List<string>();
        void Visit(JsonObject node, string path)
        {
            foreach (var (name, child) in node["properties"]?.AsObject() ?? [])
            {
                if (string.IsNullOrWhiteSpace(child!["description"]?.GetValue<string>()))
                {
                    undescribed.Add($"{path}.{name}");
                }
                Visit(child.AsObject(), $"{path}.{name}");
            }
            if (node["items"] is JsonObject items)
            {
                Visit(items, path + "[]");
            }
            if (node["additionalProperties"] is JsonObject values)
            {
                Visit(values, path + ".*");
            }
        }
        Visit(schema, kind);
        undescribed.Should().BeEmpty("kubectl explain shows these descriptions to users");
    }

    [Theory]
    [InlineData(typeof(Dag))]
    [InlineData(typeof(DagRun))]
    public void Schema_HasEveryPublicPropertyOfTheApiTypes(Type type)
    {
        var schemaPaths = SchemaCheck.SchemaPaths(Schema(type.Name));
        var missing = PropertyPaths(type, "").Where(p => !schemaPaths.Contains(p)).ToList();
        missing.Should().BeEmpty();
        schemaPaths.Should().Contain("metadata");
    }

    /// <summary>Field paths from the CLR types by plain reflection, independent of the generator's walk.</summary>
    private static IEnumerable<string> PropertyPaths(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = K8sFlowJson.Options.PropertyNamingPolicy!.ConvertName(property.Name);
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            yield return path;
            var (inner, suffix) = Unwrap(property.PropertyType);
            if (inner.Namespace == typeof(Dag).Namespace && inner.IsClass && inner != typeof(ObjectMeta))
            {
                foreach (var child in PropertyPaths(inner, path + suffix))
                {
                    yield return child;
                }
            }
        }
    }

    private static (Type Inner, string Suffix) Unwrap(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var (inner, suffix) = Unwrap(type.GetGenericArguments()[1]);
            return (inner, ".*" + suffix);
        }
        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
        {
            var (inner, suffix) = Unwrap(type.GetGenericArguments()[0]);
            return (inner, "[]" + suffix);
        }
        return (type, "");
    }

    public static TheoryData<string, string> FullManifestsJson => new()
    {
        { K8sFlowApi.DagKind, JsonSerializer.Serialize(FullManifests.Dag, K8sFlowJson.Options) },
        { K8sFlowApi.DagRunKind, JsonSerializer.Serialize(FullManifests.DagRun, K8sFlowJson.Options) },
    };

    [Theory]
    [MemberData(nameof(FullManifestsJson))]
    public void RoundTrip_EveryFieldTheSerializerWritesIsInTheSchema(string kind, string json)
    {
        var document = JsonNode.Parse(json);
        var schema = Schema(kind);

        var used = SchemaCheck.InstancePaths(document, schema);
        var declared = SchemaCheck.SchemaPaths(schema);
        used.Except(declared).Should().BeEmpty("every serialized field must be declared (or kubectl drops it)");
        declared.Except(used).Should().BeEmpty("the full manifest sets every field, so the round trip covers all of them");
        SchemaCheck.Violations(document, schema).Should().BeEmpty();
    }

    [Theory]
    [InlineData("Dag", "spec.tasks.1.triggerRule", "\"all_sucess\"", "spec.tasks[1].triggerRule")]
    [InlineData("Dag", "spec.tasks.1.type", "\"python\"", "spec.tasks[1].type")]
    [InlineData("Dag", "spec.tasks.1.name", "\"raw to bronze\"", "spec.tasks[1].name")]
    [InlineData("Dag", "spec.tasks.1.name", "\"model_evaluation\"", "spec.tasks: duplicate")]
    [InlineData("Dag", "spec.tasks.1.retryDelay", "\"5 min\"", "spec.tasks[1].retryDelay")]
    [InlineData("Dag", "spec.tasks.1.retries", "-1", "spec.tasks[1].retries")]
    [InlineData("Dag", "spec.tasks", "[]", "spec.tasks: fewer than 1")]
    [InlineData("Dag", "spec.timetable", "\"data_interval\"", "spec.timetable")]
    [InlineData("Dag", "spec.maxActiveRuns", "0", "spec.maxActiveRuns")]
    [InlineData("Dag", "spec.startDate", "\"yesterday\"", "spec.startDate")]
    [InlineData("Dag", "spec.params.threshold.type", "\"float\"", "spec.params.threshold.type")]
    [InlineData("Dag", "spec.schedual", "\"@daily\"", "spec.schedual: unknown field")]
    [InlineData("Dag", "spec.workspace.size", "\"1 GB\"", "spec.workspace.size")]
    [InlineData("DagRun", "spec.runType", "\"adhoc\"", "spec.runType")]
    [InlineData("DagRun", "spec.dagName", "\"ML_Pipeline\"", "spec.dagName")]
    [InlineData("DagRun", "status.tasks.0.state", "\"UpstreamFailed\"", "status.tasks[0].state")]
    [InlineData("DagRun", "status.phase", "\"running\"", "status.phase")]
    public void Schema_RejectsWhatKubectlApplyShouldRefuse(string kind, string field, string badJson, string expectedError)
    {
        var document = JsonNode.Parse(kind == K8sFlowApi.DagKind
            ? JsonSerializer.Serialize(FullManifests.Dag, K8sFlowJson.Options)
            : JsonSerializer.Serialize(FullManifests.DagRun, K8sFlowJson.Options))!;
        Set(document, field, JsonNode.Parse(badJson));

        SchemaCheck.Violations(document, Schema(kind)).Should().ContainMatch($"{expectedError}*");
    }

    [Theory]
    [InlineData("Dag", "spec.tasks")]
    [InlineData("Dag", "spec.tasks.0.name")]
    [InlineData("DagRun", "spec.dagName")]
    [InlineData("DagRun", "spec")]
    public void Schema_RequiresWhatEveryResourceNeeds(string kind, string field)
    {
        var document = JsonNode.Parse(kind == K8sFlowApi.DagKind
            ? JsonSerializer.Serialize(FullManifests.Dag, K8sFlowJson.Options)
            : JsonSerializer.Serialize(FullManifests.DagRun, K8sFlowJson.Options))!;
        Remove(document, field);

        SchemaCheck.Violations(document, Schema(kind)).Should().Contain($"{field.Replace(".0.", "[0].")}: required");
    }

    private static (JsonNode Parent, string Last) Walk(JsonNode document, string field)
    {
        var parts = field.Split('.');
        var node = document;
        foreach (var part in parts[..^1])
        {
            node = int.TryParse(part, out var index) ? node[index]! : node[part]!;
        }
        return (node, parts[^1]);
    }

    private static void Set(JsonNode document, string field, JsonNode? value)
    {
        var (parent, last) = Walk(document, field);
        parent[last] = value;
    }

    private static void Remove(JsonNode document, string field)
    {
        var (parent, last) = Walk(document, field);
        parent.AsObject().Remove(last);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void PrinterColumns_PointAtDeclaredFields(string kind)
    {
        var schema = Schema(kind);
        var paths = SchemaCheck.SchemaPaths(schema);
        foreach (var column in Definition(kind).PrinterColumns.Where(c => !c.JsonPath.StartsWith(".metadata.", StringComparison.Ordinal)))
        {
            var path = column.JsonPath.TrimStart('.');
            paths.Should().Contain(path, $"printer column {column.Name} reads {column.JsonPath}");
            var node = path.Split('.').Aggregate((JsonNode)schema, (n, part) => n["properties"]![part]!);
            if (column.Type == "date")
            {
                (node["format"]?.GetValue<string>()).Should().Be("date-time", $"date column {column.Name} needs a timestamp");
            }
            else
            {
                node["type"]!.GetValue<string>().Should().Be(column.Type, $"column {column.Name} has the field's type");
            }
        }
    }

    [Fact]
    public void PrinterColumns_AreWhatKubectlGetShows()
    {
        string Columns(CrdDefinition crd) => string.Join(", ", crd.PrinterColumns.Where(c => c.Priority == 0).Select(c => $"{c.Name}:{c.Type}"));
        Columns(CrdGenerator.Dag).Should().Be("Schedule:string, Paused:boolean, Last Run:date, Next Run:string, Age:date");
        Columns(CrdGenerator.DagRun).Should().Be("Dag:string, Phase:string, Progress:string, Logical Date:string, Started:date, Age:date");
    }

    [Fact]
    public void Enums_AreSpelledAsTheSerializerWritesThem()
    {
        var tasks = Schema(K8sFlowApi.DagRunKind)["properties"]!["status"]!["properties"]!["tasks"]!["items"]!;
        tasks["properties"]!["state"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>())
            .Should().Contain(["upstream_failed", "up_for_retry", "success", "none"]).And.NotContain("UpstreamFailed");
        var phase = Schema(K8sFlowApi.DagRunKind)["properties"]!["status"]!["properties"]!["phase"]!;
        phase["enum"]!.AsArray().Select(v => v!.GetValue<string>()).Should().Equal("Queued", "Running", "Succeeded", "Failed");
    }

    [Theory]
    [InlineData("Dag", "spec.tasks[].podTemplate", "object")]
    [InlineData("Dag", "spec.defaults.podTemplate", "object")]
    [InlineData("Dag", "spec.params.*.default", null)]
    [InlineData("DagRun", "spec.params.*", null)]
    public void JsonFields_KeepUnknownFields(string kind, string path, string? type)
    {
        var node = SchemaNodeAt(Schema(kind), path);
        node["x-kubernetes-preserve-unknown-fields"]!.GetValue<bool>().Should().BeTrue();
        (node["type"]?.GetValue<string>()).Should().Be(type);
    }

    private static JsonNode SchemaNodeAt(JsonObject schema, string path)
    {
        JsonNode node = schema;
        foreach (var part in path.Split('.'))
        {
            var name = part.TrimEnd('[', ']');
            node = name == "*" ? node["additionalProperties"]! : node["properties"]![name]!;
            if (part.EndsWith("[]", StringComparison.Ordinal))
            {
                node = node["items"]!;
            }
        }
        return node;
    }

    [Fact]
    public void SchemaBuilder_ReportsTypesItCannotMap()
    {
        var act = () => SchemaBuilder.For(typeof(Unmappable));
        act.Should().Throw<NotSupportedException>().WithMessage("*Guid*");
    }

    private sealed record Unmappable(Guid Id);
}
