using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Json;

/// <summary>Reads and writes the object metadata of an API object held as JSON.</summary>
internal static class KubeObject
{
    /// <summary>The metadata object, created when absent (or replaced when not an object).</summary>
    public static JsonObject Metadata(this JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }
        meta = [];
        obj["metadata"] = meta;
        return meta;
    }

    public static string? MetaString(this JsonObject obj, string field) =>
        obj["metadata"] is JsonObject meta ? KubeJson.AsString(meta[field]) : null;

    public static string Name(this JsonObject obj) => obj.MetaString("name") ?? "";

    public static string Namespace(this JsonObject obj) => obj.MetaString("namespace") ?? "";

    public static string Uid(this JsonObject obj) => obj.MetaString("uid") ?? "";

    public static string ResourceVersion(this JsonObject obj) => obj.MetaString("resourceVersion") ?? "";

    public static string? DeletionTimestamp(this JsonObject obj) => obj.MetaString("deletionTimestamp");

    public static bool IsDeleting(this JsonObject obj) => obj.DeletionTimestamp() is not null;

    public static string ApiVersion(this JsonObject obj) => KubeJson.AsString(obj["apiVersion"]) ?? "";

    public static string Kind(this JsonObject obj) => KubeJson.AsString(obj["kind"]) ?? "";

    public static void SetMeta(this JsonObject obj, string field, JsonNode? value)
    {
        var meta = obj.Metadata();
        if (value is null)
        {
            meta.Remove(field);
        }
        else
        {
            meta[field] = value;
        }
    }

    public static IReadOnlyDictionary<string, string> Labels(this JsonObject obj) => StringMap(obj["metadata"]?["labels"]);

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o)
            {
                map[key] = KubeJson.ScalarText(value);
            }
        }
        return map;
    }

    public static List<string> Finalizers(this JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray list ? list.Select(KubeJson.ScalarText).ToList() : [];

    public static void SetFinalizers(this JsonObject obj, IReadOnlyCollection<string> finalizers) =>
        obj.SetMeta("finalizers", finalizers.Count == 0 ? null : new JsonArray(finalizers.Select(f => (JsonNode?)f).ToArray()));

    public static IEnumerable<JsonObject> OwnerReferences(this JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray refs ? refs.OfType<JsonObject>() : [];

    /// <summary>The object at <paramref name="path"/>, creating the maps on the way.</summary>
    public static JsonObject EnsureObject(this JsonObject obj, params string[] path)
    {
        var current = obj;
        foreach (var part in path)
        {
            if (current[part] is not JsonObject next)
            {
                next = [];
                current[part] = next;
            }
            current = next;
        }
        return current;
    }
}
