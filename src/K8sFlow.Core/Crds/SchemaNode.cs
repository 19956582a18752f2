namespace K8sFlow.Core.Crds;

/// <summary>
/// One node of a structural OpenAPI v3 schema, as a CustomResourceDefinition accepts it:
/// only the keywords K8sFlow's types need, no <c>$ref</c>.
/// </summary>
public sealed record SchemaNode
{
    /// <summary>object, array, string, integer, number or boolean; null only with <see cref="PreserveUnknownFields"/>.</summary>
    public string? Type { get; init; }
    public string? Description { get; init; }
    public string? Format { get; init; }
    public string? Pattern { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }
    public double? Minimum { get; init; }
    public double? Maximum { get; init; }
    public int? MinLength { get; init; }
    public int? MaxLength { get; init; }
    public int? MinItems { get; init; }
    public int? MaxItems { get; init; }
    /// <summary>Any JSON is kept as written (JsonNode fields, pod templates).</summary>
    public bool PreserveUnknownFields { get; init; }
    /// <summary>Properties by JSON name, ordinal order (the order the YAML lists them in).</summary>
    public IReadOnlyDictionary<string, SchemaNode>? Properties { get; init; }
    public IReadOnlyList<string>? Required { get; init; }
    public SchemaNode? Items { get; init; }
    /// <summary>The value schema of a string-keyed map.</summary>
    public SchemaNode? AdditionalProperties { get; init; }
    /// <summary>Keys of a list of objects that Kubernetes treats as a map (duplicates are rejected).</summary>
    public IReadOnlyList<string>? ListMapKeys { get; init; }

    /// <summary>The node as ordered YAML/JSON-ready data, keys in one fixed order so output is stable.</summary>
    public OrderedDictionary<string, object> ToTree()
    {
        var tree = new OrderedDictionary<string, object>();
        Add(tree, "description", Description);
        Add(tree, "type", Type);
        Add(tree, "format", Format);
        Add(tree, "pattern", Pattern);
        Add(tree, "enum", Enum);
        Add(tree, "minimum", AsNumber(Minimum));
        Add(tree, "maximum", AsNumber(Maximum));
        Add(tree, "minLength", MinLength);
        Add(tree, "maxLength", MaxLength);
        Add(tree, "minItems", MinItems);
        Add(tree, "maxItems", MaxItems);
        if (PreserveUnknownFields)
        {
            tree["x-kubernetes-preserve-unknown-fields"] = true;
        }
        if (ListMapKeys is { Count: > 0 })
        {
            tree["x-kubernetes-list-type"] = "map";
            tree["x-kubernetes-list-map-keys"] = ListMapKeys;
        }
        Add(tree, "required", Required is { Count: > 0 } ? Required : null);
        if (Properties is { Count: > 0 })
        {
            var properties = new OrderedDictionary<string, object>();
            foreach (var (name, node) in Properties)
            {
                properties[name] = node.ToTree();
            }
            tree["properties"] = properties;
        }
        Add(tree, "items", Items?.ToTree());
        Add(tree, "additionalProperties", AdditionalProperties?.ToTree());
        return tree;
    }

    // Whole bounds print as integers ("minimum: 0"), which integer fields need.
    private static object? AsNumber(double? value) =>
        value is { } v && Math.Floor(v) == v && Math.Abs(v) < 1e15 ? (long)v : value;

    private static void Add(OrderedDictionary<string, object> tree, string key, object? value)
    {
        if (value is not null)
        {
            tree[key] = value;
        }
    }
}
