using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Schema;

/// <summary>
/// One node of a CRD's openAPIV3Schema, reduced to what the apiserver uses for pruning,
/// defaulting and validation. Logical junctors (allOf/anyOf/oneOf/not) and CEL rules
/// (x-kubernetes-validations) are read but not evaluated.
/// </summary>
internal sealed class StructuralSchema
{
    public string? Type { get; private init; }

    public IReadOnlyDictionary<string, StructuralSchema> Properties { get; private init; } = new Dictionary<string, StructuralSchema>();

    public StructuralSchema? Items { get; private init; }

    /// <summary>Schema of the values of a map (additionalProperties with a schema).</summary>
    public StructuralSchema? AdditionalProperties { get; private init; }

    public IReadOnlyList<string> Required { get; private init; } = [];

    public IReadOnlyList<JsonNode?>? Enum { get; private init; }

    public decimal? Minimum { get; private init; }

    public decimal? Maximum { get; private init; }

    public bool ExclusiveMinimum { get; private init; }

    public bool ExclusiveMaximum { get; private init; }

    public Regex? Pattern { get; private init; }

    public string? PatternText { get; private init; }

    public long? MinLength { get; private init; }

    public long? MaxLength { get; private init; }

    public long? MinItems { get; private init; }

    public long? MaxItems { get; private init; }

    public long? MinProperties { get; private init; }

    public long? MaxProperties { get; private init; }

    public bool Nullable { get; private init; }

    public JsonNode? Default { get; private init; }

    public bool PreserveUnknownFields { get; private init; }

    public bool IntOrString { get; private init; }

    public bool EmbeddedResource { get; private init; }

    /// <summary>x-kubernetes-list-type: atomic (default), set or map.</summary>
    public string? ListType { get; private init; }

    public IReadOnlyList<string> ListMapKeys { get; private init; } = [];

    /// <summary>Accepts anything (used where a CRD version has no schema).</summary>
    public static readonly StructuralSchema AnyObject = new() { Type = "object", PreserveUnknownFields = true };

    public static StructuralSchema Parse(JsonObject node)
    {
        var pattern = KubeJson.AsString(node["pattern"]);
        return new StructuralSchema
        {
            Type = KubeJson.AsString(node["type"]),
            Properties = node["properties"] is JsonObject props
                ? props.Where(p => p.Value is JsonObject).ToDictionary(p => p.Key, p => Parse(p.Value!.AsObject()), StringComparer.Ordinal)
                : new Dictionary<string, StructuralSchema>(),
            Items = node["items"] is JsonObject items ? Parse(items) : null,
            AdditionalProperties = node["additionalProperties"] is JsonObject additional ? Parse(additional) : null,
            Required = node["required"] is JsonArray required ? required.Select(KubeJson.ScalarText).ToList() : [],
            Enum = node["enum"] is JsonArray values ? values.Select(v => v?.DeepClone()).ToList() : null,
            Minimum = Number(node["minimum"]),
            Maximum = Number(node["maximum"]),
            ExclusiveMinimum = KubeJson.AsBool(node["exclusiveMinimum"]) == true,
            ExclusiveMaximum = KubeJson.AsBool(node["exclusiveMaximum"]) == true,
            PatternText = pattern,
            Pattern = pattern is null ? null : new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)),
            MinLength = KubeJson.AsLong(node["minLength"]),
            MaxLength = KubeJson.AsLong(node["maxLength"]),
            MinItems = KubeJson.AsLong(node["minItems"]),
            MaxItems = KubeJson.AsLong(node["maxItems"]),
            MinProperties = KubeJson.AsLong(node["minProperties"]),
            MaxProperties = KubeJson.AsLong(node["maxProperties"]),
            Nullable = KubeJson.AsBool(node["nullable"]) == true,
            Default = node["default"]?.DeepClone(),
            PreserveUnknownFields = KubeJson.AsBool(node["x-kubernetes-preserve-unknown-fields"]) == true,
            IntOrString = KubeJson.AsBool(node["x-kubernetes-int-or-string"]) == true,
            EmbeddedResource = KubeJson.AsBool(node["x-kubernetes-embedded-resource"]) == true,
            ListType = KubeJson.AsString(node["x-kubernetes-list-type"]),
            ListMapKeys = node["x-kubernetes-list-map-keys"] is JsonArray keys ? keys.Select(KubeJson.ScalarText).ToList() : [],
        };
    }

    private static decimal? Number(JsonNode? node) => KubeJson.TryGetNumber(node, out var d) ? d : null;

    /// <summary>The schema of a child field, or null when the field is not declared.</summary>
    public StructuralSchema? Child(string field) =>
        Properties.TryGetValue(field, out var child) ? child : AdditionalProperties;
}
