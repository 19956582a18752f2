using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Patching;
using K8sFlow.LocalCluster.Schema;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tables;

namespace K8sFlow.LocalCluster.Resources;

/// <summary>One served version of a resource: its schema (custom resources, parsed and as written) and printer columns.</summary>
internal sealed record ResourceVersion(string Name, bool Storage, StructuralSchema? Schema, IReadOnlyList<PrinterColumn> Columns)
{
    /// <summary>The openAPIV3Schema as the CRD states it, published in the OpenAPI document (kubectl explain).</summary>
    public JsonObject? OpenApiSchema { get; init; }
}

/// <summary>
/// Everything the server knows about one kind of object: names for discovery, scope, subresources,
/// the field labels usable in field selectors, table columns, list merge semantics and the
/// write strategy (defaulting and validation).
/// </summary>
internal sealed record ResourceDefinition
{
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public required string Group { get; init; }

    public required string Kind { get; init; }

    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required bool Namespaced { get; init; }

    public required IReadOnlyList<ResourceVersion> Versions { get; init; }

    public string ListKind => Kind + "List";

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool HasStatus { get; init; }

    /// <summary>Subresources served besides status, e.g. "log" for pods.</summary>
    public IReadOnlyList<string> ExtraSubresources { get; init; } = [];

    /// <summary>Custom resources: strategic merge patch is refused (415) and unknown fields are pruned.</summary>
    public bool IsCustom { get; init; }

    /// <summary>Field labels beyond metadata.name/namespace, mapped to the dotted path they read.</summary>
    public IReadOnlyDictionary<string, string> FieldLabels { get; init; } = new Dictionary<string, string>();

    public PropagationPolicy DefaultPropagation { get; init; } = PropagationPolicy.Background;

    public IListStrategies Lists { get; init; } = BuiltInListStrategies.Instance;

    public ResourceStrategy Strategy { get; init; } = ResourceStrategy.Default;

    public ResourceRef Ref => new(Group, Plural);

    public ResourceVersion StorageVersion => Versions.FirstOrDefault(v => v.Storage) ?? Versions[0];

    public string ApiVersion(string version) => Group.Length == 0 ? version : Group + "/" + version;

    /// <summary>"Job.batch", "Pod", "DagRun.k8sflow.io": the qualified kind of 422 messages.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : Kind + "." + Group;

    public ResourceVersion? Version(string? name) =>
        name is null ? StorageVersion : Versions.FirstOrDefault(v => v.Name == name);

    /// <summary>The path a field label reads, or null when the label is not supported for this kind.</summary>
    public string? FieldLabelPath(string label) =>
        label is "metadata.name" or "metadata.namespace" ? label : FieldLabels.TryGetValue(label, out var path) ? path : null;
}
