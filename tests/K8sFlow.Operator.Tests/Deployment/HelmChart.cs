using System.Text.Json.Nodes;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Operator.Tests.Tools;

namespace K8sFlow.Operator.Tests.Deployment;

/// <summary>charts/k8sflow rendered by the real helm, as parsed Kubernetes objects.</summary>
internal static class HelmChart
{
    public const string Directory = "charts/k8sflow";
    public const string ReleaseName = "k8sflow";
    public const string ReleaseNamespace = "k8sflow-system";

    /// <summary>`helm template` with these extra arguments (e.g. --set watchNamespaces={ml,etl}).</summary>
    public static async Task<Manifests> TemplateAsync(params string[] arguments)
    {
        var yaml = await ExternalTool.Helm.RunSuccessfullyAsync(
            ["template", ReleaseName, Directory, "--namespace", ReleaseNamespace, .. arguments]);
        return new Manifests([.. YamlJson.Documents(yaml).OfType<JsonObject>()]);
    }

    /// <summary>`helm template` that must fail; returns its error output.</summary>
    public static async Task<string> TemplateFailureAsync(params string[] arguments)
    {
        var result = await ExternalTool.Helm.RunAsync(["template", ReleaseName, Directory, "--namespace", ReleaseNamespace, .. arguments]);
        result.ExitCode.Should().NotBe(0, $"helm template {string.Join(' ', arguments)} should have failed:\n{result.Output}");
        return result.StandardError;
    }
}

internal sealed record Manifests(IReadOnlyList<JsonObject> Objects)
{
    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Kind(o) == kind);

    public JsonObject Single(string kind) => OfKind(kind).Should().ContainSingle($"one {kind} is rendered").Subject;

    public IEnumerable<string> Kinds => Objects.Select(Kind);

    public static string Kind(JsonNode o) => o["kind"]!.GetValue<string>();

    public static string Name(JsonNode o) => o["metadata"]!["name"]!.GetValue<string>();

    public static string? Namespace(JsonNode o) => o["metadata"]!["namespace"]?.GetValue<string>();

    /// <summary>
    /// A Role's or ClusterRole's rules, one "group/resource: verbs" line per resource, e.g.
    /// "batch/jobs: get list watch create delete" (the core group is empty: "/pods: ...").
    /// </summary>
    public static List<string> Rules(JsonNode role) =>
    [
        .. role["rules"]!.AsArray().SelectMany(rule =>
        {
            rule!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["apiGroups", "resources", "verbs"],
                "a rule grants by group, resource and verb only (no resourceNames, no nonResourceURLs)");
            var verbs = string.Join(' ', rule["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
            return from g in rule["apiGroups"]!.AsArray()
                   from r in rule["resources"]!.AsArray()
                   select $"{g!.GetValue<string>()}/{r!.GetValue<string>()}: {verbs}";
        }),
    ];
}
