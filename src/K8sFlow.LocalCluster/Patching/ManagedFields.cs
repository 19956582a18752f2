using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Patching;

/// <summary>One metadata.managedFields entry: the fields a manager set with one kind of operation.</summary>
internal sealed record ManagedFieldsEntry(string Manager, string Operation, string? Subresource, string ApiVersion, string Time, FieldSet Fields)
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    public bool Is(string manager, string operation, string? subresource) =>
        Manager == manager && Operation == operation && (Subresource ?? "") == (subresource ?? "");

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = Operation,
            ["apiVersion"] = ApiVersion,
            ["time"] = Time,
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = Fields.ToFieldsV1(),
        };
        if (!string.IsNullOrEmpty(Subresource))
        {
            json["subresource"] = Subresource;
        }
        return json;
    }

    public static List<ManagedFieldsEntry> Read(JsonObject obj) =>
        obj["metadata"]?["managedFields"] is JsonArray entries
            ? entries.OfType<JsonObject>().Select(e => new ManagedFieldsEntry(
                KubeJson.AsString(e["manager"]) ?? "",
                KubeJson.AsString(e["operation"]) ?? Update,
                KubeJson.AsString(e["subresource"]),
                KubeJson.AsString(e["apiVersion"]) ?? "",
                KubeJson.AsString(e["time"]) ?? "",
                FieldSet.FromFieldsV1(e["fieldsV1"] as JsonObject))).ToList()
            : [];

    public static void Write(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var kept = entries.Where(e => e.Fields.Count > 0).Select(e => (JsonNode)e.ToJson()).ToArray();
        obj.SetMeta("managedFields", kept.Length == 0 ? null : new JsonArray(kept));
    }
}

/// <summary>A field another manager owns with a different value than an apply asks for.</summary>
internal sealed record FieldConflict(string Manager, string ApiVersion, FieldPath Path);

/// <summary>
/// Field ownership as server-side apply tracks it. Updates (POST, PUT, non-apply PATCH) hand the
/// fields they change to their manager; applies own exactly the fields they send, conflict on
/// fields others own with other values, and remove the fields they stop sending.
/// </summary>
internal static class ManagedFields
{
    /// <summary>Records a non-apply write of <paramref name="updated"/> over <paramref name="previous"/> (null on create).</summary>
    public static void RecordUpdate(JsonObject? previous, JsonObject updated, string manager, string? subresource, IListStrategies lists, string time)
    {
        // Only top-level fields that differ can hold changed or removed fields: a status write never walks the spec.
        Func<string, bool>? differs = previous is null ? null : field => !SameTopLevel(previous, updated, field);
        var newFields = FieldSet.FromObject(updated, lists, differs);
        var oldFields = previous is null ? FieldSet.Empty : FieldSet.FromObject(previous, lists, differs);
        var changed = previous is null ? newFields : newFields.Where(p => !SameValue(previous, updated, p));
        var gone = oldFields.Except(newFields);
        if (changed.Count == 0 && gone.Count == 0)
        {
            return; // nothing changes hands (an unchanged write keeps managedFields as they were)
        }
        var entries = ManagedFieldsEntry.Read(updated);
        var result = entries
            .Select(e => e with { Fields = e.Is(manager, ManagedFieldsEntry.Update, subresource) ? e.Fields.Except(gone) : e.Fields.Except(gone).Except(changed) })
            .ToList();
        if (changed.Count > 0)
        {
            var own = result.FindIndex(e => e.Is(manager, ManagedFieldsEntry.Update, subresource));
            var entry = new ManagedFieldsEntry(manager, ManagedFieldsEntry.Update, subresource, updated.ApiVersion(), time,
                own >= 0 ? result[own].Fields.Union(changed) : changed);
            if (own >= 0)
            {
                result[own] = entry;
            }
            else
            {
                result.Add(entry);
            }
        }
        ManagedFieldsEntry.Write(updated, result);
    }

    /// <summary>
    /// Server-side apply of <paramref name="config"/> onto <paramref name="live"/> (null: create).
    /// Returns the new object, or the conflicts when not forced.
    /// </summary>
    public static JsonObject? Apply(JsonObject? live, JsonObject config, string manager, string? subresource, bool force,
        IListStrategies lists, string time, out IReadOnlyList<FieldConflict> conflicts)
    {
        var entries = live is null ? [] : ManagedFieldsEntry.Read(live);
        var applied = FieldSet.FromObject(config, lists);
        var found = new List<FieldConflict>();
        if (live is not null)
        {
            foreach (var entry in entries.Where(e => !e.Is(manager, ManagedFieldsEntry.Apply, subresource)))
            {
                found.AddRange(applied.Paths
                    .Where(p => !p.IsListItem && entry.Fields.Contains(p) && !SameValue(live, config, p))
                    .Select(p => new FieldConflict(entry.Manager, entry.ApiVersion, p)));
            }
        }
        conflicts = found;
        if (found.Count > 0 && !force)
        {
            return null;
        }
        var taken = found.Select(c => c.Path.Key).ToHashSet();
        entries = entries.Select(e => e with { Fields = e.Is(manager, ManagedFieldsEntry.Apply, subresource) ? e.Fields : e.Fields.Where(p => !taken.Contains(p.Key)) }).ToList();

        var mine = entries.FirstOrDefault(e => e.Is(manager, ManagedFieldsEntry.Apply, subresource))?.Fields ?? FieldSet.Empty;
        var ownedByOthers = entries.Where(e => !e.Is(manager, ManagedFieldsEntry.Apply, subresource))
            .Aggregate(FieldSet.Empty, (all, e) => all.Union(e.Fields));
        var dropped = mine.Except(applied).Except(ownedByOthers);

        var result = live is null
            ? config.DeepClone().AsObject()
            : StrategicMergePatch.Apply(live, StripServerMetadata(config), lists, out _);
        // Shallow first: a dropped list item goes with its fields (its key fields are still there to find it).
        foreach (var path in dropped.Paths.OrderBy(p => p.Elements.Count))
        {
            if (path.Remove(result))
            {
                RemoveEmptyParents(result, path);
            }
        }

        var present = FieldSet.FromObject(result, lists);
        var updatedEntries = entries
            .Where(e => !e.Is(manager, ManagedFieldsEntry.Apply, subresource))
            .Select(e => e with { Fields = e.Fields.Where(present.Contains) })
            .Append(new ManagedFieldsEntry(manager, ManagedFieldsEntry.Apply, subresource, config.ApiVersion(), time, applied))
            .ToList();
        ManagedFieldsEntry.Write(result, updatedEntries);
        return result;
    }

    /// <summary>The conflict message of the apiserver: "Apply failed with 1 conflict: conflict with "m" using v1: .spec.x".</summary>
    public static string Describe(IReadOnlyList<FieldConflict> conflicts)
    {
        var header = $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: ";
        var groups = conflicts.GroupBy(c => (c.Manager, c.ApiVersion)).ToList();
        if (conflicts.Count == 1)
        {
            var only = conflicts[0];
            return header + $"conflict with \"{only.Manager}\" using {only.ApiVersion}: {only.Path}";
        }
        return header + string.Join("\n", groups.Select(g =>
            $"conflicts with \"{g.Key.Manager}\" using {g.Key.ApiVersion}:\n" + string.Join("\n", g.Select(c => $"- {c.Path}"))));
    }

    /// <summary>For metadata, only the fields managers own count (resourceVersion, managedFields... change on every write).</summary>
    private static bool SameTopLevel(JsonObject a, JsonObject b, string field) =>
        field == "metadata"
            ? FieldSet.OwnedMetadata.All(f => KubeJson.Equal(a["metadata"]?[f], b["metadata"]?[f]))
            : KubeJson.Equal(a[field], b[field]);

    private static bool SameValue(JsonObject a, JsonObject b, FieldPath path)
    {
        var inA = path.TryResolve(a, out var valueA);
        var inB = path.TryResolve(b, out var valueB);
        return inA == inB && (!inA || path.IsListItem || KubeJson.Equal(valueA, valueB));
    }

    /// <summary>Identity fields of the config must not overwrite the live object's (the URL names it).</summary>
    private static JsonObject StripServerMetadata(JsonObject config)
    {
        var clean = config.DeepClone().AsObject();
        if (clean["metadata"] is JsonObject meta)
        {
            foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp" })
            {
                meta.Remove(field);
            }
        }
        return clean;
    }

    /// <summary>Removing the last owned field of a nested map removes the map too (not top-level ones).</summary>
    private static void RemoveEmptyParents(JsonObject root, FieldPath removed)
    {
        for (var depth = removed.Elements.Count - 1; depth >= 2; depth--)
        {
            var parent = new FieldPath(removed.Elements.Take(depth).ToList());
            if (parent.IsListItem || !parent.TryResolve(root, out var node) || node is not JsonObject { Count: 0 })
            {
                return;
            }
            parent.Remove(root);
        }
    }
}
