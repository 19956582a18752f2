using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Patching;

/// <summary>
/// The fields of an object one manager owns, as leaf paths plus keyed list items.
/// Granularity: scalars, atomic lists and empty maps are leaves; keyed list items are owned
/// as items and field by field; set lists item by item.
/// </summary>
internal sealed class FieldSet
{
    /// <summary>Server-managed metadata that no field manager owns.</summary>
    public static readonly IReadOnlySet<string> OwnedMetadata = new HashSet<string>(["labels", "annotations", "finalizers", "ownerReferences"], StringComparer.Ordinal);

    private readonly HashSet<string> _keys;

    private FieldSet(IEnumerable<string> keys) => _keys = new HashSet<string>(keys, StringComparer.Ordinal);

    public static FieldSet Empty => new([]);

    public int Count => _keys.Count;

    public IEnumerable<FieldPath> Paths => _keys.Order(StringComparer.Ordinal).Select(FieldPath.FromKey);

    public bool Contains(FieldPath path) => _keys.Contains(path.Key);

    public FieldSet Union(FieldSet other) => new(_keys.Union(other._keys));

    public FieldSet Except(FieldSet other) => new(_keys.Except(other._keys));

    public FieldSet Where(Func<FieldPath, bool> predicate) => new(Paths.Where(predicate).Select(p => p.Key));

    /// <summary>
    /// The fields an object sets (apiVersion, kind and server-set metadata excluded); with <paramref name="topLevel"/>,
    /// only those under the top-level fields it accepts.
    /// </summary>
    public static FieldSet FromObject(JsonObject obj, IListStrategies lists, Func<string, bool>? topLevel = null)
    {
        var keys = new List<string>();
        foreach (var (field, value) in obj)
        {
            if (field is "apiVersion" or "kind" || topLevel?.Invoke(field) == false)
            {
                continue;
            }
            if (field == "metadata" && value is JsonObject meta)
            {
                foreach (var (metaField, metaValue) in meta)
                {
                    if (OwnedMetadata.Contains(metaField))
                    {
                        Collect(metaValue, ["metadata", metaField], new FieldPath(["f:metadata", "f:" + metaField]), lists, keys);
                    }
                }
                continue;
            }
            Collect(value, [field], new FieldPath(["f:" + field]), lists, keys);
        }
        return new FieldSet(keys);
    }

    private static void Collect(JsonNode? node, List<string> fields, FieldPath path, IListStrategies lists, List<string> keys)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (field, value) in obj)
                {
                    Collect(value, [.. fields, field], path.Append("f:" + field), lists, keys);
                }
                break;
            case JsonArray array:
                var strategy = lists.For(fields);
                if (strategy.Kind == ListKind.Map && array.All(strategy.HasKeys))
                {
                    foreach (var item in array.Cast<JsonObject>())
                    {
                        var itemPath = path.Append("k:" + strategy.KeyOf(item));
                        keys.Add(itemPath.Key);
                        foreach (var (field, value) in item)
                        {
                            Collect(value, [.. fields, field], itemPath.Append("f:" + field), lists, keys);
                        }
                    }
                }
                else if (strategy.Kind == ListKind.Set && array.All(i => i is JsonValue))
                {
                    keys.AddRange(array.Select(item => path.Append("v:" + KubeJson.Serialize(item)).Key));
                }
                else
                {
                    keys.Add(path.Key);
                }
                break;
            default:
                keys.Add(path.Key);
                break;
        }
    }

    /// <summary>Reads metadata.managedFields[].fieldsV1.</summary>
    public static FieldSet FromFieldsV1(JsonObject? tree)
    {
        var keys = new List<string>();
        if (tree is not null)
        {
            Read(tree, new FieldPath([]), keys);
        }
        return new FieldSet(keys);
    }

    private static void Read(JsonObject node, FieldPath path, List<string> keys)
    {
        foreach (var (element, child) in node)
        {
            if (element == ".")
            {
                keys.Add(path.Key);
            }
            else if (child is JsonObject { Count: > 0 } inner)
            {
                Read(inner, path.Append(element), keys);
            }
            else
            {
                keys.Add(path.Append(element).Key);
            }
        }
    }

    /// <summary>The FieldsV1 tree: "." marks an owned node that also has owned children.</summary>
    public JsonObject ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in Paths)
        {
            var node = root;
            foreach (var element in path.Elements)
            {
                if (node[element] is not JsonObject next)
                {
                    next = [];
                    node[element] = next;
                }
                node = next;
            }
            if (node.Count > 0)
            {
                node["."] = new JsonObject();
            }
        }
        MarkOwnedParents(root, this, new FieldPath([]));
        return root;
    }

    private static void MarkOwnedParents(JsonObject node, FieldSet set, FieldPath path)
    {
        foreach (var (element, child) in node.ToList())
        {
            if (element == "." || child is not JsonObject inner || inner.Count == 0)
            {
                continue;
            }
            var childPath = path.Append(element);
            if (set.Contains(childPath) && !inner.ContainsKey("."))
            {
                inner["."] = new JsonObject();
            }
            MarkOwnedParents(inner, set, childPath);
        }
    }
}
