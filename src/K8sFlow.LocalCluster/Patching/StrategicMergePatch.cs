using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Patching;

/// <summary>
/// Strategic merge patch as kubectl sends it for built-in kinds: maps merge, keyed lists merge by
/// their patchMergeKey, other lists are replaced. Directives: <c>$patch</c> (replace | delete | merge),
/// <c>$setElementOrder/&lt;field&gt;</c>, <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/&lt;field&gt;</c>.
/// </summary>
internal static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    public static JsonObject Apply(JsonObject original, JsonObject patch, IListStrategies lists, out string? error)
    {
        var errors = new List<string>();
        var result = MergeMap(original.DeepClone().AsObject(), patch, [], lists, errors) ?? [];
        error = errors.FirstOrDefault();
        return error is null ? result : original;
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="target"/> (owned); null means "delete this map".</summary>
    private static JsonObject? MergeMap(JsonObject target, JsonObject patch, List<string> path, IListStrategies lists, List<string> errors)
    {
        switch (KubeJson.AsString(patch[PatchDirective]))
        {
            case "delete":
                return null;
            case "replace":
                return StripDirectives(patch);
            case null or "merge":
                break;
            case var other:
                errors.Add($"Unknown patch type: {other}");
                return target;
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith('$'))
            {
                continue;
            }
            var childPath = new List<string>(path) { key };
            switch (value)
            {
                case null:
                    target.Remove(key);
                    break;
                case JsonObject childPatch:
                    var merged = MergeMap(target[key] as JsonObject is { } existing ? existing.DeepClone().AsObject() : [], childPatch, childPath, lists, errors);
                    if (merged is null)
                    {
                        target.Remove(key);
                    }
                    else
                    {
                        target[key] = merged;
                    }
                    break;
                case JsonArray childList:
                    target[key] = MergeList(target[key] as JsonArray, childList, lists.For(childPath), childPath, lists, errors);
                    break;
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal) && value is JsonArray doomed)
            {
                var field = key[DeleteFromPrimitiveList.Length..];
                if (target[field] is JsonArray list)
                {
                    target[field] = new JsonArray(list.Where(i => !doomed.Any(d => KubeJson.Equal(d, i))).Select(i => i?.DeepClone()).ToArray());
                }
            }
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(SetElementOrder, StringComparison.Ordinal) && value is JsonArray order)
            {
                var field = key[SetElementOrder.Length..];
                if (target[field] is JsonArray list)
                {
                    target[field] = Reorder(list, order, lists.For([.. path, field]));
                }
            }
        }
        if (patch[RetainKeys] is JsonArray retain)
        {
            var keep = retain.Select(KubeJson.ScalarText).ToHashSet(StringComparer.Ordinal);
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                target.Remove(key);
            }
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, ListStrategy strategy, List<string> path, IListStrategies lists, List<string> errors)
    {
        if (patch.Any(i => i is JsonObject o && KubeJson.AsString(o[PatchDirective]) == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o.ContainsKey(PatchDirective))).Select(i => i is JsonObject o ? StripDirectives(o) : i?.DeepClone()).ToArray());
        }
        switch (strategy.Kind)
        {
            case ListKind.Map when patch.All(strategy.HasKeys):
                var result = target?.Select(i => i?.DeepClone()).ToList() ?? [];
                foreach (var item in patch.Cast<JsonObject>())
                {
                    var key = strategy.KeyOf(item);
                    var index = result.FindIndex(existing => strategy.HasKeys(existing) && strategy.KeyOf(existing) == key);
                    if (KubeJson.AsString(item[PatchDirective]) == "delete")
                    {
                        if (index >= 0)
                        {
                            result.RemoveAt(index);
                        }
                        continue;
                    }
                    var merged = MergeMap(index >= 0 ? (JsonObject)result[index]! : [], item, path, lists, errors);
                    if (index >= 0)
                    {
                        result[index] = merged;
                    }
                    else if (merged is not null)
                    {
                        result.Add(merged);
                    }
                }
                return new JsonArray(result.Where(i => i is not null).ToArray());
            case ListKind.Set:
                var union = target?.Select(i => i?.DeepClone()).ToList() ?? [];
                foreach (var item in patch)
                {
                    if (!union.Any(existing => KubeJson.Equal(existing, item)))
                    {
                        union.Add(item?.DeepClone());
                    }
                }
                return new JsonArray(union.ToArray());
            default:
                return new JsonArray(patch.Select(i => i is JsonObject o ? StripDirectives(o) : i?.DeepClone()).ToArray());
        }
    }

    /// <summary>
    /// Puts the items named in <paramref name="order"/> in that order. Items the order does not name
    /// (added by someone else) keep their slots, as the apiserver keeps server-only items in place.
    /// </summary>
    private static JsonArray Reorder(JsonArray list, JsonArray order, ListStrategy strategy)
    {
        var rank = new Dictionary<string, int>();
        foreach (var entry in order)
        {
            rank.TryAdd(strategy.KeyOf(entry), rank.Count);
        }
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new Queue<JsonNode?>(items.Where(i => rank.ContainsKey(strategy.KeyOf(i))).OrderBy(i => rank[strategy.KeyOf(i)]));
        return new JsonArray(items.Select(i => rank.ContainsKey(strategy.KeyOf(i)) ? ordered.Dequeue() : i).ToArray());
    }

    private static JsonObject StripDirectives(JsonObject obj)
    {
        var clean = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (!key.StartsWith('$'))
            {
                clean[key] = value is JsonObject child ? StripDirectives(child) : value?.DeepClone();
            }
        }
        return clean;
    }
}
