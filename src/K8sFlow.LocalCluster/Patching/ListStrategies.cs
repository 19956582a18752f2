using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Schema;

namespace K8sFlow.LocalCluster.Patching;

internal enum ListKind
{
    /// <summary>Replaced as a whole.</summary>
    Atomic,

    /// <summary>Items are objects merged by key fields (patchMergeKey / x-kubernetes-list-map-keys).</summary>
    Map,

    /// <summary>Scalars merged as a set (patchStrategy merge on a primitive list, x-kubernetes-list-type set).</summary>
    Set,
}

internal sealed record ListStrategy(ListKind Kind, IReadOnlyList<string> Keys)
{
    public static readonly ListStrategy Atomic = new(ListKind.Atomic, []);

    public static readonly ListStrategy Set = new(ListKind.Set, []);

    public static ListStrategy MapBy(params string[] keys) => new(ListKind.Map, keys);

    /// <summary>The identity of a map-list item: its key fields as canonical JSON.</summary>
    public string KeyOf(JsonNode? item) => Kind switch
    {
        ListKind.Map when item is JsonObject obj =>
            KubeJson.Serialize(new JsonObject(Keys.Select(k => KeyValuePair.Create(k, obj[k]?.DeepClone())))),
        _ => KubeJson.Serialize(item),
    };

    /// <summary>True when the item carries every key field (only then can it be merged by key).</summary>
    public bool HasKeys(JsonNode? item) => Kind != ListKind.Map || (item is JsonObject obj && Keys.All(obj.ContainsKey));
}

/// <summary>How each list field of a kind merges; <c>path</c> holds field names from the root, list items skipped.</summary>
internal interface IListStrategies
{
    ListStrategy For(IReadOnlyList<string> path);
}

/// <summary>
/// The patchMergeKey/patchStrategy tags of the Go types of the built-in kinds served here
/// (pods, jobs, namespaces...). Field names are unique enough across these kinds to key on the last one.
/// </summary>
internal sealed class BuiltInListStrategies : IListStrategies
{
    public static readonly BuiltInListStrategies Instance = new();

    private static readonly Dictionary<string, ListStrategy> ByField = new(StringComparer.Ordinal)
    {
        ["containers"] = ListStrategy.MapBy("name"),
        ["initContainers"] = ListStrategy.MapBy("name"),
        ["ephemeralContainers"] = ListStrategy.MapBy("name"),
        ["env"] = ListStrategy.MapBy("name"),
        ["volumes"] = ListStrategy.MapBy("name"),
        ["imagePullSecrets"] = ListStrategy.MapBy("name"),
        ["resourceClaims"] = ListStrategy.MapBy("name"),
        ["volumeMounts"] = ListStrategy.MapBy("mountPath"),
        ["volumeDevices"] = ListStrategy.MapBy("devicePath"),
        ["ports"] = ListStrategy.MapBy("containerPort"),
        ["hostAliases"] = ListStrategy.MapBy("ip"),
        ["conditions"] = ListStrategy.MapBy("type"),
        ["ownerReferences"] = ListStrategy.MapBy("uid"),
        ["topologySpreadConstraints"] = ListStrategy.MapBy("topologyKey", "whenUnsatisfiable"),
        ["finalizers"] = ListStrategy.Set,
    };

    public ListStrategy For(IReadOnlyList<string> path) =>
        path.Count > 0 && ByField.TryGetValue(path[^1], out var strategy) ? strategy : ListStrategy.Atomic;
}

/// <summary>List semantics of a custom resource, read from x-kubernetes-list-type in its schema.</summary>
internal sealed class SchemaListStrategies(StructuralSchema root) : IListStrategies
{
    public ListStrategy For(IReadOnlyList<string> path)
    {
        if (path.Count == 2 && path[0] == "metadata")
        {
            return BuiltInListStrategies.Instance.For(path);
        }
        StructuralSchema? schema = root;
        foreach (var field in path)
        {
            if (schema?.Type == "array")
            {
                schema = schema.Items;
            }
            schema = schema?.Child(field);
        }
        return schema switch
        {
            { ListType: "map", ListMapKeys.Count: > 0 } => new ListStrategy(ListKind.Map, schema.ListMapKeys),
            { ListType: "set" } => ListStrategy.Set,
            _ => ListStrategy.Atomic,
        };
    }
}
