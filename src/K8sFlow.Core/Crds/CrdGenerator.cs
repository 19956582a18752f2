using K8sFlow.Core.Api;
using YamlDotNet.Serialization;

namespace K8sFlow.Core.Crds;

/// <summary>
/// An <c>additionalPrinterColumns</c> entry: what <c>kubectl get</c> shows. Type is string, integer,
/// number, boolean or date (a date prints as an age such as "5m"); Priority 0 is always shown, greater
/// only with <c>-o wide</c>.
/// </summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, string Description, int Priority = 0);

/// <summary>What a CRD says beyond its schema: names and printer columns of one K8sFlow kind.</summary>
public sealed record CrdDefinition(
    Type ResourceType,
    string Kind,
    string Plural,
    string Singular,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<PrinterColumn> PrinterColumns)
{
    /// <summary>The CRD's metadata.name, e.g. dags.k8sflow.io.</summary>
    public string Name => $"{Plural}.{K8sFlowApi.Group}";
    public string FileName => $"{Name}.yaml";
}

/// <summary>One generated CRD manifest.</summary>
public sealed record GeneratedCrd(string FileName, string Yaml);

/// <summary>
/// Generates the apiextensions.k8s.io/v1 CustomResourceDefinitions of Dag and DagRun from the C# API
/// types (<see cref="SchemaBuilder"/>). Pure and deterministic: the same types give byte-identical YAML,
/// which is what lets a test fail when the committed crds/ are stale.
/// </summary>
public static class CrdGenerator
{
    public const string Category = "k8sflow";

    private const string Header = "# Generated from src/K8sFlow.Core/Api by `make crds` (k8sflow crds). Do not edit.\n";

    private static readonly PrinterColumn Age =
        new("Age", "date", ".metadata.creationTimestamp", "Time since the resource was created.");

    public static CrdDefinition Dag { get; } = new(
        typeof(Dag), K8sFlowApi.DagKind, K8sFlowApi.DagPlural, "dag", ["dag"],
        [
            new("Schedule", "string", ".spec.schedule", "Cron, preset or interval; empty = manual runs only."),
            new("Paused", "boolean", ".spec.paused", "A paused DAG gets no new scheduled runs."),
            new("Last Run", "date", ".status.lastRunTime", "Time since the newest run."),
            // A string, not a date: a date column shows the age of a past time and nothing useful for a future one.
            new("Next Run", "string", ".status.nextRunTime", "When the next scheduled run is due (UTC)."),
            new("Timezone", "string", ".spec.timezone", "Time zone the schedule is read in.", Priority: 1),
            Age,
        ]);

    public static CrdDefinition DagRun { get; } = new(
        typeof(DagRun), K8sFlowApi.DagRunKind, K8sFlowApi.DagRunPlural, "dagrun", ["dr"],
        [
            new("Dag", "string", ".spec.dagName", "The Dag this run executes."),
            new("Phase", "string", ".status.phase", "Queued, Running, Succeeded or Failed."),
            new("Progress", "string", ".status.progress", "Finished tasks / all tasks."),
            // A string, not a date: Airflow users compare logical dates ({{ ds }}), not ages.
            new("Logical Date", "string", ".status.logicalDate", "The run's logical date (UTC)."),
            new("Started", "date", ".status.startTime", "Time since the run started."),
            new("Run ID", "string", ".status.runId", "Airflow-style run id.", Priority: 1),
            Age,
        ]);

    public static IReadOnlyList<CrdDefinition> All { get; } = [Dag, DagRun];

    public static IReadOnlyList<GeneratedCrd> GenerateAll() => [.. All.Select(Generate)];

    public static GeneratedCrd Generate(CrdDefinition crd) =>
        new(crd.FileName, Header + Yaml.Serialize(Build(crd)));

    /// <summary>The CRD as ordered data (YAML- and JSON-ready), e.g. for a server that installs it in memory.</summary>
    public static OrderedDictionary<string, object> Build(CrdDefinition crd)
    {
        var schema = SchemaBuilder.For(crd.ResourceType);
        var version = new OrderedDictionary<string, object>
        {
            ["name"] = K8sFlowApi.Version,
            ["served"] = true,
            ["storage"] = true,
            ["subresources"] = new OrderedDictionary<string, object> { ["status"] = new OrderedDictionary<string, object>() },
            ["additionalPrinterColumns"] = crd.PrinterColumns.Select(PrinterColumnTree).ToList(),
            ["schema"] = new OrderedDictionary<string, object> { ["openAPIV3Schema"] = schema.ToTree() },
        };
        return new OrderedDictionary<string, object>
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new OrderedDictionary<string, object> { ["name"] = crd.Name },
            ["spec"] = new OrderedDictionary<string, object>
            {
                ["group"] = K8sFlowApi.Group,
                ["names"] = new OrderedDictionary<string, object>
                {
                    ["kind"] = crd.Kind,
                    ["listKind"] = crd.Kind + "List",
                    ["plural"] = crd.Plural,
                    ["singular"] = crd.Singular,
                    ["shortNames"] = crd.ShortNames,
                    ["categories"] = new[] { Category },
                },
                ["scope"] = "Namespaced",
                ["versions"] = new[] { version },
            },
        };
    }

    private static OrderedDictionary<string, object> PrinterColumnTree(PrinterColumn column)
    {
        var tree = new OrderedDictionary<string, object>
        {
            ["name"] = column.Name,
            ["type"] = column.Type,
            ["jsonPath"] = column.JsonPath,
            ["description"] = column.Description,
        };
        if (column.Priority != 0)
        {
            tree["priority"] = column.Priority;
        }
        return tree;
    }

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .WithNewLine("\n")
        .Build();
}
