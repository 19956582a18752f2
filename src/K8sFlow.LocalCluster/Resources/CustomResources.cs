using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Patching;
using K8sFlow.LocalCluster.Schema;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tables;

namespace K8sFlow.LocalCluster.Resources;

/// <summary>Reads a CustomResourceDefinition into the definition of the resource it serves.</summary>
internal static class CustomResources
{
    public static ResourceDefinition ToDefinition(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject ?? [];
        var names = spec["names"] as JsonObject ?? [];
        var kind = KubeJson.AsString(names["kind"]) ?? "";
        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => KubeJson.AsBool(v["served"]) != false)
            .Select(v => new ResourceVersion(
                KubeJson.AsString(v["name"]) ?? "",
                KubeJson.AsBool(v["storage"]) == true,
                v["schema"]?["openAPIV3Schema"] is JsonObject schema ? StructuralSchema.Parse(schema) : null,
                Columns(v))
            {
                OpenApiSchema = v["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
            })
            .ToList();
        var storageSchema = versions.FirstOrDefault(v => v.Storage)?.Schema ?? StructuralSchema.AnyObject;
        var statusVersions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().Any(v => v["subresources"]?["status"] is JsonObject);
        return new ResourceDefinition
        {
            Group = KubeJson.AsString(spec["group"]) ?? "",
            Kind = kind,
            Plural = KubeJson.AsString(names["plural"]) ?? "",
            Singular = KubeJson.AsString(names["singular"]) ?? kind.ToLowerInvariant(),
            Namespaced = KubeJson.AsString(spec["scope"]) != "Cluster",
            Versions = versions,
            ShortNames = StringList(names["shortNames"]),
            Categories = StringList(names["categories"]),
            HasStatus = statusVersions,
            IsCustom = true,
            Lists = new SchemaListStrategies(storageSchema),
            Strategy = CustomResourceStrategy.Instance,
        };
    }

    private static IReadOnlyList<PrinterColumn> Columns(JsonObject version)
    {
        var custom = (version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>().Select(PrinterColumn.FromCrd).ToList();
        return custom.Count == 0 ? [PrinterColumn.NameColumn, PrinterColumn.CustomResourceAge] : [PrinterColumn.NameColumn, .. custom];
    }

    public static IReadOnlyList<string> StringList(JsonNode? node) =>
        node is JsonArray list ? list.Select(KubeJson.ScalarText).ToList() : [];
}

/// <summary>
/// Custom resources are pruned, defaulted and validated with the structural schema of the version
/// the request speaks. CEL rules (x-kubernetes-validations) are not evaluated here.
/// </summary>
internal sealed class CustomResourceStrategy : ResourceStrategy
{
    public static readonly CustomResourceStrategy Instance = new();

    protected override ApiStatus? ValidateObject(JsonObject obj, JsonObject? old, ResourceDefinition definition, WriteContext context, List<StatusCause> causes)
    {
        var version = definition.Version(context.Version) ?? definition.StorageVersion;
        if (version.Schema is not { } schema)
        {
            return null;
        }
        var unknown = SchemaProcessor.Prune(obj, schema);
        if (unknown.Count > 0)
        {
            var fields = string.Join(", ", unknown.Select(f => $"unknown field \"{f}\""));
            switch (context.FieldValidation)
            {
                case FieldValidation.Strict:
                    return ApiStatus.BadRequest(
                        $"{definition.Kind} in version \"{version.Name}\" cannot be handled as a {definition.Kind}: strict decoding error: {fields}");
                case FieldValidation.Warn:
                    context.Warnings.AddRange(unknown.Select(f => $"unknown field \"{f}\""));
                    break;
            }
        }
        SchemaProcessor.ApplyDefaults(obj, schema);
        causes.AddRange(SchemaProcessor.Validate(obj, schema));
        return null;
    }
}

/// <summary>
/// CustomResourceDefinitions: defaulted names, validated shape, and a status that says at once that
/// the names are accepted and the resource is established (there is no controller to wait for).
/// </summary>
internal sealed class CrdStrategy : ResourceStrategy
{
    public static readonly CrdStrategy Instance = new();

    public override void PrepareForCreate(JsonObject obj, WriteContext context) => Prepare(obj, null, context);

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, WriteContext context) => Prepare(obj, old, context);

    private static void Prepare(JsonObject crd, JsonObject? old, WriteContext context)
    {
        var names = crd.EnsureObject("spec", "names");
        var kind = KubeJson.AsString(names["kind"]) ?? "";
        names.TryAdd("singular", kind.ToLowerInvariant());
        names.TryAdd("listKind", kind + "List");
        crd.EnsureObject("spec", "conversion").TryAdd("strategy", "None");
        foreach (var version in (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var column in (version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>())
            {
                column.TryAdd("type", "string");
            }
        }
        var time = KubeJson.Time(context.Now);
        var previous = old?["status"]?["conditions"] as JsonArray;
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", previous, time),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", previous, time)),
            ["acceptedNames"] = names.DeepClone(),
            ["storedVersions"] = new JsonArray((crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(v => KubeJson.AsBool(v["storage"]) == true)
                .Select(v => (JsonNode?)KubeJson.AsString(v["name"]))
                .ToArray()),
        };
        crd["status"] = status;
    }

    private static JsonObject Condition(string type, string reason, string message, JsonArray? previous, string time)
    {
        var since = previous?.OfType<JsonObject>().FirstOrDefault(c => KubeJson.AsString(c["type"]) == type)?["lastTransitionTime"]?.DeepClone();
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = "True",
            ["lastTransitionTime"] = since ?? time,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    protected override ApiStatus? ValidateObject(JsonObject obj, JsonObject? old, ResourceDefinition definition, WriteContext context, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var group = KubeJson.AsString(spec["group"]) ?? "";
        var plural = KubeJson.AsString(spec["names"]?["plural"]) ?? "";
        if (group.Length == 0)
        {
            causes.Add(FieldErrors.Required("spec.group"));
        }
        else if (!group.Contains('.'))
        {
            causes.Add(FieldErrors.Invalid("spec.group", group, "should be a domain with at least one dot"));
        }
        if (plural.Length == 0)
        {
            causes.Add(FieldErrors.Required("spec.names.plural"));
        }
        if (string.IsNullOrEmpty(KubeJson.AsString(spec["names"]?["kind"])))
        {
            causes.Add(FieldErrors.Required("spec.names.kind"));
        }
        if (obj.Name() != $"{plural}.{group}")
        {
            causes.Add(FieldErrors.Invalid("metadata.name", obj.Name(), "must be spec.names.plural+\".\"+spec.group"));
        }
        if (KubeJson.AsString(spec["scope"]) is not ("Namespaced" or "Cluster"))
        {
            causes.Add(FieldErrors.NotSupported("spec.scope", spec["scope"], [JsonValue.Create("Cluster"), JsonValue.Create("Namespaced")]));
        }
        var versions = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (versions.Count == 0)
        {
            causes.Add(FieldErrors.Required("spec.versions", "must have exactly one version marked as storage version"));
        }
        else if (versions.Count(v => KubeJson.AsBool(v["storage"]) == true) != 1)
        {
            causes.Add(FieldErrors.Invalid("spec.versions", spec["versions"], "must have exactly one version marked as storage version"));
        }
        for (var i = 0; i < versions.Count; i++)
        {
            var at = FieldErrors.Index("spec.versions", i);
            if (versions[i]["schema"]?["openAPIV3Schema"] is not JsonObject schema)
            {
                causes.Add(FieldErrors.Required(at + ".schema.openAPIV3Schema", "schemas are required"));
                continue;
            }
            if (KubeJson.AsString(schema["type"]) != "object")
            {
                causes.Add(FieldErrors.Invalid(at + ".schema.openAPIV3Schema.type", schema["type"], "must be object at the root"));
            }
            ValidateStructural(schema, at + ".schema.openAPIV3Schema", causes);
        }
        return null;
    }

    /// <summary>Structural schemas: every declared field has a type unless it preserves unknown fields or is int-or-string.</summary>
    private static void ValidateStructural(JsonObject schema, string path, List<StatusCause> causes)
    {
        foreach (var (field, child) in schema["properties"] as JsonObject ?? [])
        {
            if (child is not JsonObject property)
            {
                continue;
            }
            var at = $"{path}.properties[{field}]";
            if (property["type"] is null
                && KubeJson.AsBool(property["x-kubernetes-preserve-unknown-fields"]) != true
                && KubeJson.AsBool(property["x-kubernetes-int-or-string"]) != true)
            {
                causes.Add(FieldErrors.Required(at + ".type", "must not be empty for specified object fields"));
            }
            ValidateStructural(property, at, causes);
        }
        if (schema["items"] is JsonObject items)
        {
            ValidateStructural(items, path + ".items", causes);
        }
        if (schema["additionalProperties"] is JsonObject additional)
        {
            ValidateStructural(additional, path + ".additionalProperties", causes);
        }
    }
}
