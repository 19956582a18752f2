using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Patching;

/// <summary>
/// A field path in the managedFields (FieldsV1) notation: "f:spec", "k:{\"name\":\"main\"}" for a keyed
/// list item, "v:\"x\"" for a set item. Paths resolve against objects to compare and remove values.
/// </summary>
internal sealed record FieldPath(IReadOnlyList<string> Elements)
{
    private const char Separator = '\u0001';

    public string Key => string.Join(Separator, Elements);

    public static FieldPath FromKey(string key) => new(key.Split(Separator));

    public bool IsListItem => Elements.Count > 0 && Elements[^1].StartsWith("k:", StringComparison.Ordinal);

    public FieldPath Append(string element) => new([.. Elements, element]);

    /// <summary>".spec.containers[name=\"main\"].image": how SSA conflict messages name a field.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var element in Elements)
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    sb.Append('.').Append(body);
                    break;
                case 'k':
                    var keys = JsonNode.Parse(body)!.AsObject();
                    sb.Append('[').Append(string.Join(",", keys.Select(k => $"{k.Key}={KubeJson.Serialize(k.Value)}"))).Append(']');
                    break;
                default:
                    sb.Append("[=").Append(body).Append(']');
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The value at this path, or false when the object does not hold it.</summary>
    public bool TryResolve(JsonObject root, out JsonNode? value)
    {
        value = root;
        foreach (var element in Elements)
        {
            if (!TryStep(value, element, out value, out _, out _))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Removes the field or list item at this path; false when it was not there.</summary>
    public bool Remove(JsonObject root)
    {
        if (Elements.Count == 0)
        {
            return false;
        }
        JsonNode? parent = root;
        foreach (var element in Elements.Take(Elements.Count - 1))
        {
            if (!TryStep(parent, element, out parent, out _, out _))
            {
                return false;
            }
        }
        if (!TryStep(parent, Elements[^1], out _, out var container, out var index))
        {
            return false;
        }
        switch (container)
        {
            case JsonObject obj:
                obj.Remove(Elements[^1][2..]);
                return true;
            case JsonArray array:
                array.RemoveAt(index);
                return true;
            default:
                return false;
        }
    }

    private static bool TryStep(JsonNode? node, string element, out JsonNode? child, out JsonNode? container, out int index)
    {
        child = null;
        container = node;
        index = -1;
        var body = element[2..];
        switch (element[0])
        {
            case 'f' when node is JsonObject obj:
                return obj.TryGetPropertyValue(body, out child);
            case 'k' when node is JsonArray array:
                var keys = JsonNode.Parse(body)!.AsObject();
                index = array.ToList().FindIndex(item => item is JsonObject o && keys.All(k => KubeJson.Equal(o[k.Key], k.Value)));
                child = index >= 0 ? array[index] : null;
                return index >= 0;
            case 'v' when node is JsonArray array:
                var wanted = JsonNode.Parse(body);
                index = array.ToList().FindIndex(item => KubeJson.Equal(item, wanted));
                child = index >= 0 ? array[index] : null;
                return index >= 0;
            default:
                return false;
        }
    }
}
