using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.Schema;

/// <summary>
/// What the apiserver does to a custom resource with its structural schema, in its order:
/// prune unknown fields, apply defaults, validate. apiVersion, kind and metadata at the root
/// (and of embedded resources) are left to the server.
/// </summary>
internal static class SchemaProcessor
{
    private static readonly string[] ObjectEnvelope = ["apiVersion", "kind", "metadata"];

    /// <summary>Removes undeclared fields (and nulls where not nullable); returns the unknown fields' paths.</summary>
    public static List<string> Prune(JsonObject root, StructuralSchema schema)
    {
        var unknown = new List<string>();
        PruneObject(root, schema, "", unknown, keepEnvelope: true);
        return unknown;
    }

    public static void ApplyDefaults(JsonObject root, StructuralSchema schema) => Default(root, schema, isRoot: true);

    public static List<StatusCause> Validate(JsonObject root, StructuralSchema schema)
    {
        var errors = new List<StatusCause>();
        ValidateObject(root, schema, "", errors, isRoot: true);
        return errors;
    }

    private static void PruneNode(JsonNode? node, StructuralSchema schema, string path, List<string> unknown)
    {
        switch (node)
        {
            case JsonObject obj:
                PruneObject(obj, schema, path, unknown, schema.EmbeddedResource);
                break;
            case JsonArray array when schema.Items is not null:
                for (var i = 0; i < array.Count; i++)
                {
                    PruneNode(array[i], schema.Items, FieldErrors.Index(path, i), unknown);
                }
                break;
        }
    }

    private static void PruneObject(JsonObject obj, StructuralSchema schema, string path, List<string> unknown, bool keepEnvelope)
    {
        foreach (var (key, value) in obj.ToList())
        {
            var childPath = FieldErrors.Child(path, key);
            if (keepEnvelope && ObjectEnvelope.Contains(key))
            {
                continue;
            }
            if (schema.Properties.TryGetValue(key, out var declared))
            {
                if (value is null && !declared.Nullable)
                {
                    obj.Remove(key);
                    continue;
                }
                PruneNode(value, declared, childPath, unknown);
            }
            else if (schema.AdditionalProperties is not null)
            {
                PruneNode(value, schema.AdditionalProperties, childPath, unknown);
            }
            else if (!schema.PreserveUnknownFields)
            {
                obj.Remove(key);
                unknown.Add(childPath);
            }
        }
    }

    private static void Default(JsonNode? node, StructuralSchema schema, bool isRoot = false)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (field, child) in schema.Properties)
                {
                    if (isRoot && ObjectEnvelope.Contains(field))
                    {
                        continue;
                    }
                    if (!obj.ContainsKey(field) && child.Default is not null)
                    {
                        obj[field] = child.Default.DeepClone();
                    }
                    if (obj.TryGetPropertyValue(field, out var value))
                    {
                        Default(value, child);
                    }
                }
                if (schema.AdditionalProperties is not null)
                {
                    foreach (var (key, value) in obj.ToList())
                    {
                        if (!schema.Properties.ContainsKey(key))
                        {
                            Default(value, schema.AdditionalProperties);
                        }
                    }
                }
                break;
            case JsonArray array when schema.Items is not null:
                foreach (var item in array)
                {
                    Default(item, schema.Items);
                }
                break;
        }
    }

    private static void ValidateNode(JsonNode? node, StructuralSchema schema, string path, List<StatusCause> errors)
    {
        if (node is null)
        {
            if (!schema.Nullable && schema.Type is not null)
            {
                errors.Add(FieldErrors.TypeInvalid(path, "null", schema.Type));
            }
            return;
        }
        var actual = KubeJson.TypeName(node);
        if (schema.IntOrString)
        {
            if (actual is not ("integer" or "string"))
            {
                errors.Add(FieldErrors.TypeInvalid(path, actual, "integer,string"));
                return;
            }
        }
        else if (schema.Type is { } expected && !TypeMatches(expected, actual))
        {
            errors.Add(FieldErrors.TypeInvalid(path, actual, expected));
            return;
        }
        if (schema.Enum is { } allowed && !allowed.Any(a => KubeJson.Equal(a, node)))
        {
            errors.Add(FieldErrors.NotSupported(path, node, allowed));
        }
        switch (node)
        {
            case JsonObject obj:
                ValidateObject(obj, schema, path, errors, isRoot: false);
                break;
            case JsonArray array:
                ValidateArray(array, schema, path, errors);
                break;
            case JsonValue value when actual == "string":
                ValidateString(value.GetValue<string>(), node, schema, path, errors);
                break;
            case JsonValue when actual is "integer" or "number":
                ValidateNumber(node, schema, path, errors);
                break;
        }
    }

    private static bool TypeMatches(string expected, string actual) =>
        expected == actual || (expected == "number" && actual == "integer");

    private static void ValidateObject(JsonObject obj, StructuralSchema schema, string path, List<StatusCause> errors, bool isRoot)
    {
        foreach (var field in schema.Required)
        {
            if (!obj.ContainsKey(field))
            {
                errors.Add(FieldErrors.Required(FieldErrors.Child(path, field)));
            }
        }
        var count = obj.Count(p => !(isRoot && ObjectEnvelope.Contains(p.Key)));
        if (schema.MaxProperties is { } maxProps && count > maxProps)
        {
            errors.Add(FieldErrors.TooMany(path, count, maxProps));
        }
        if (schema.MinProperties is { } minProps && count < minProps)
        {
            errors.Add(FieldErrors.Invalid(path, obj, $"{path} in body should have at least {minProps} properties"));
        }
        foreach (var (key, value) in obj)
        {
            if (isRoot && ObjectEnvelope.Contains(key))
            {
                continue;
            }
            var child = schema.Properties.TryGetValue(key, out var declared) ? declared : schema.AdditionalProperties;
            if (child is not null)
            {
                ValidateNode(value, child, FieldErrors.Child(path, key), errors);
            }
        }
    }

    private static void ValidateArray(JsonArray array, StructuralSchema schema, string path, List<StatusCause> errors)
    {
        if (schema.MaxItems is { } max && array.Count > max)
        {
            errors.Add(FieldErrors.TooMany(path, array.Count, max));
        }
        if (schema.MinItems is { } min && array.Count < min)
        {
            errors.Add(FieldErrors.Invalid(path, array, $"{path} in body should have at least {min} items"));
        }
        if (schema.ListType == "set")
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array.Take(i).Any(earlier => KubeJson.Equal(earlier, array[i])))
                {
                    errors.Add(FieldErrors.Duplicate(FieldErrors.Index(path, i), array[i]));
                }
            }
        }
        if (schema.ListType == "map" && schema.ListMapKeys.Count > 0)
        {
            var seen = new HashSet<string>();
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject item)
                {
                    var key = new JsonObject(schema.ListMapKeys.Select(k => KeyValuePair.Create(k, item[k]?.DeepClone())));
                    if (!seen.Add(KubeJson.Serialize(key)))
                    {
                        errors.Add(FieldErrors.Duplicate(FieldErrors.Index(path, i), key));
                    }
                }
            }
        }
        if (schema.Items is not null)
        {
            for (var i = 0; i < array.Count; i++)
            {
                ValidateNode(array[i], schema.Items, FieldErrors.Index(path, i), errors);
            }
        }
    }

    private static void ValidateString(string text, JsonNode node, StructuralSchema schema, string path, List<StatusCause> errors)
    {
        if (schema.MaxLength is { } max && text.Length > max)
        {
            errors.Add(FieldErrors.TooLong(path, max));
        }
        if (schema.MinLength is { } min && text.Length < min)
        {
            errors.Add(FieldErrors.Invalid(path, node, $"{path} in body should be at least {min} chars long"));
        }
        if (schema.Pattern is { } pattern && !pattern.IsMatch(text))
        {
            errors.Add(FieldErrors.Invalid(path, node, $"{path} in body should match '{schema.PatternText}'"));
        }
    }

    private static void ValidateNumber(JsonNode node, StructuralSchema schema, string path, List<StatusCause> errors)
    {
        if (!KubeJson.TryGetNumber(node, out var number))
        {
            return;
        }
        if (schema.Minimum is { } min && (schema.ExclusiveMinimum ? number <= min : number < min))
        {
            var relation = schema.ExclusiveMinimum ? "greater than" : "greater than or equal to";
            errors.Add(FieldErrors.Invalid(path, node, $"{path} in body should be {relation} {Format(min)}"));
        }
        if (schema.Maximum is { } max && (schema.ExclusiveMaximum ? number >= max : number > max))
        {
            var relation = schema.ExclusiveMaximum ? "less than" : "less than or equal to";
            errors.Add(FieldErrors.Invalid(path, node, $"{path} in body should be {relation} {Format(max)}"));
        }
    }

    private static string Format(decimal value) => value.ToString("0.############", CultureInfo.InvariantCulture);
}
