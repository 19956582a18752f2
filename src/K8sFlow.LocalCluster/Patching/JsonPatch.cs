using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Patching;

/// <summary>Why a JSON patch did not apply: a malformed patch (400) or a failed operation (422).</summary>
internal sealed record JsonPatchError(bool Malformed, string Message);

/// <summary>RFC 6902 JSON Patch: add, remove, replace, move, copy and test over JSON pointers.</summary>
internal static class JsonPatch
{
    public static JsonNode? Apply(JsonNode? document, JsonNode? patch, out JsonPatchError? error)
    {
        error = null;
        if (patch is not JsonArray operations)
        {
            error = new(true, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
            return null;
        }
        var root = new JsonObject { ["doc"] = document?.DeepClone() };
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op || KubeJson.AsString(op["op"]) is not { } name || KubeJson.AsString(op["path"]) is not { } path)
            {
                error = new(true, "json patch operation needs \"op\" and \"path\"");
                return null;
            }
            var message = name switch
            {
                "add" => Add(root, path, op["value"]?.DeepClone()),
                "remove" => Remove(root, path, out _),
                "replace" => Replace(root, path, op["value"]?.DeepClone()),
                "move" => Move(root, KubeJson.AsString(op["from"]), path),
                "copy" => Copy(root, KubeJson.AsString(op["from"]), path),
                "test" => Test(root, path, op["value"]),
                _ => $"Unexpected kind: {name}",
            };
            if (message is not null)
            {
                error = new(name is not ("add" or "remove" or "replace" or "move" or "copy" or "test"), message);
                return null;
            }
        }
        return root["doc"]?.DeepClone();
    }

    private static string? Add(JsonObject root, string path, JsonNode? value)
    {
        if (!TryResolveParent(root, path, out var parent, out var token))
        {
            return $"add operation does not apply: doc is missing path: \"{path}\"";
        }
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                return null;
            case JsonArray array when token == "-":
                array.Add(value);
                return null;
            case JsonArray array when TryIndex(token, array.Count, out var index):
                array.Insert(index, value);
                return null;
            default:
                return $"add operation does not apply: doc is missing path: \"{path}\"";
        }
    }

    private static string? Remove(JsonObject root, string path, out JsonNode? removed)
    {
        removed = null;
        if (!TryResolveParent(root, path, out var parent, out var token))
        {
            return $"remove operation does not apply: doc is missing path: \"{path}\"";
        }
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                removed = obj[token];
                obj.Remove(token);
                return null;
            case JsonArray array when TryIndex(token, array.Count - 1, out var index):
                removed = array[index];
                array.RemoveAt(index);
                return null;
            default:
                return $"remove operation does not apply: doc is missing path: \"{path}\"";
        }
    }

    private static string? Replace(JsonObject root, string path, JsonNode? value)
    {
        if (!TryResolveParent(root, path, out var parent, out var token))
        {
            return $"replace operation does not apply: doc is missing key: {path}";
        }
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                obj[token] = value;
                return null;
            case JsonArray array when TryIndex(token, array.Count - 1, out var index):
                array[index] = value;
                return null;
            default:
                return $"replace operation does not apply: doc is missing key: {path}";
        }
    }

    private static string? Move(JsonObject root, string? from, string path)
    {
        if (from is null)
        {
            return "move operation needs \"from\"";
        }
        var error = Remove(root, from, out var value);
        if (error is not null)
        {
            return $"move operation does not apply: doc is missing from path: {from}";
        }
        return Add(root, path, value?.DeepClone());
    }

    private static string? Copy(JsonObject root, string? from, string path)
    {
        if (from is null || !TryGet(root, from, out var value))
        {
            return $"copy operation does not apply: doc is missing from path: {from}";
        }
        return Add(root, path, value?.DeepClone());
    }

    private static string? Test(JsonObject root, string path, JsonNode? expected)
    {
        if (!TryGet(root, path, out var actual) || !KubeJson.Equal(actual, expected))
        {
            return $"testing value {path} failed: test failed";
        }
        return null;
    }

    private static bool TryGet(JsonObject root, string path, out JsonNode? value)
    {
        value = null;
        if (!TryResolveParent(root, path, out var parent, out var token))
        {
            return false;
        }
        switch (parent)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(token, out value);
            case JsonArray array when TryIndex(token, array.Count - 1, out var index):
                value = array[index];
                return true;
            default:
                return false;
        }
    }

    /// <summary>Walks to the container of the pointer's last token (the document sits under "doc").</summary>
    private static bool TryResolveParent(JsonObject root, string pointer, out JsonNode? parent, out string token)
    {
        parent = root;
        token = "doc";
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            return false;
        }
        var tokens = pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();
        foreach (var next in tokens)
        {
            JsonNode? child = parent switch
            {
                JsonObject obj => obj[token],
                JsonArray array when TryIndex(token, array.Count - 1, out var index) => array[index],
                _ => null,
            };
            if (child is null)
            {
                return false;
            }
            parent = child;
            token = next;
        }
        return true;
    }

    private static bool TryIndex(string token, int max, out int index) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index <= max;
}
