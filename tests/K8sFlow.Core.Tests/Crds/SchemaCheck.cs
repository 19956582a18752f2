using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sFlow.Core.Tests.Crds;

/// <summary>
/// The part of kube-apiserver's CRD validation a manifest meets at `kubectl apply`: unknown fields
/// (fieldValidation=Strict), types, required, enum, pattern, bounds, date-time, list-map keys.
/// Works on the committed CRD YAML parsed to JSON, i.e. on what a cluster would install.
/// </summary>
internal static class SchemaCheck
{
    public static JsonObject OpenApiSchema(JsonNode crd) =>
        crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();

    public static List<string> Violations(JsonNode? value, JsonObject schema)
    {
        var errors = new List<string>();
        Check(value, schema, "", errors);
        return errors;
    }

    /// <summary>Every field path the schema declares: "spec.tasks[].name", "spec.params.*.default".</summary>
    public static SortedSet<string> SchemaPaths(JsonObject schema)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        CollectSchema(schema, "", paths);
        return paths;
    }

    /// <summary>The field paths a document uses, spelled as in <see cref="SchemaPaths"/>.</summary>
    public static SortedSet<string> InstancePaths(JsonNode? value, JsonObject schema)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        CollectInstance(value, schema, "", paths);
        return paths;
    }

    // Numbers parsed from YAML are longs or doubles; compare them all as doubles.
    private static double? Number(JsonNode? node) =>
        node is null ? null : double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private static bool Preserves(JsonObject schema) =>
        schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;

    private static bool IsOpaqueObject(JsonObject schema) =>
        schema["properties"] is null && schema["additionalProperties"] is null;

    private static string Join(string path, string segment) => path.Length == 0 ? segment : $"{path}.{segment}";

    private static void CollectSchema(JsonObject schema, string path, SortedSet<string> paths)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                var childPath = Join(path, name);
                paths.Add(childPath);
                CollectSchema(child!.AsObject(), childPath, paths);
            }
        }
        if (schema["additionalProperties"] is JsonObject values)
        {
            paths.Add(Join(path, "*"));
            CollectSchema(values, Join(path, "*"), paths);
        }
        if (schema["items"] is JsonObject items)
        {
            CollectSchema(items, path + "[]", paths);
        }
    }

    private static void CollectInstance(JsonNode? value, JsonObject schema, string path, SortedSet<string> paths)
    {
        if (Preserves(schema) || value is null)
        {
            return;
        }
        switch (value)
        {
            case JsonObject obj when schema["type"]?.GetValue<string>() == "object" && !IsOpaqueObject(schema):
                foreach (var (key, child) in obj)
                {
                    var known = schema["properties"]?[key] as JsonObject;
                    var segment = known is null && schema["additionalProperties"] is JsonObject ? "*" : key;
                    var childSchema = known ?? schema["additionalProperties"] as JsonObject;
                    paths.Add(Join(path, segment));
                    if (childSchema is not null)
                    {
                        CollectInstance(child, childSchema, Join(path, segment), paths);
                    }
                }
                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    CollectInstance(item, items, path + "[]", paths);
                }
                break;
        }
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> errors)
    {
        var type = schema["type"]?.GetValue<string>();
        if (type is null && Preserves(schema))
        {
            return;
        }
        if (value is null)
        {
            errors.Add($"{path}: null where {type} is expected");
            return;
        }
        switch (type)
        {
            case "object":
                CheckObject(value, schema, path, errors);
                break;
            case "array":
                CheckArray(value, schema, path, errors);
                break;
            case "string":
                CheckString(value, schema, path, errors);
                break;
            case "integer" or "number":
                CheckNumber(value, schema, type, path, errors);
                break;
            case "boolean":
                if (value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{path}: {value.ToJsonString()} is not a boolean");
                }
                break;
            default:
                errors.Add($"{path}: schema node without a type");
                break;
        }
    }

    private static void CheckObject(JsonNode value, JsonObject schema, string path, List<string> errors)
    {
        if (value is not JsonObject obj)
        {
            errors.Add($"{path}: {value.ToJsonString()} is not an object");
            return;
        }
        if (Preserves(schema) || IsOpaqueObject(schema))
        {
            return;
        }
        foreach (var required in schema["required"]?.AsArray() ?? [])
        {
            if (!obj.ContainsKey(required!.GetValue<string>()))
            {
                errors.Add($"{Join(path, required.GetValue<string>())}: required");
            }
        }
        foreach (var (key, child) in obj)
        {
            if (schema["properties"]?[key] is JsonObject property)
            {
                Check(child, property, Join(path, key), errors);
            }
            else if (schema["additionalProperties"] is JsonObject values)
            {
                Check(child, values, Join(path, key), errors);
            }
            else
            {
                errors.Add($"{Join(path, key)}: unknown field");
            }
        }
    }

    private static void CheckArray(JsonNode value, JsonObject schema, string path, List<string> errors)
    {
        if (value is not JsonArray array)
        {
            errors.Add($"{path}: {value.ToJsonString()} is not an array");
            return;
        }
        if (Number(schema["minItems"]) is { } minItems && array.Count < minItems)
        {
            errors.Add($"{path}: fewer than {minItems} items");
        }
        for (var i = 0; i < array.Count; i++)
        {
            Check(array[i], schema["items"]!.AsObject(), $"{path}[{i}]", errors);
        }
        if (schema["x-kubernetes-list-map-keys"] is JsonArray keys)
        {
            var seen = new HashSet<string>();
            foreach (var item in array)
            {
                var key = string.Join("/", keys.Select(k => item?[k!.GetValue<string>()]?.ToJsonString()));
                if (!seen.Add(key))
                {
                    errors.Add($"{path}: duplicate entry with key {key}");
                }
            }
        }
    }

    private static void CheckString(JsonNode value, JsonObject schema, string path, List<string> errors)
    {
        if (value.GetValueKind() != JsonValueKind.String)
        {
            errors.Add($"{path}: {value.ToJsonString()} is not a string");
            return;
        }
        var text = value.GetValue<string>();
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => a!.GetValue<string>() == text))
        {
            errors.Add($"{path}: '{text}' is not one of {allowed.ToJsonString()}");
        }
        if (schema["pattern"]?.GetValue<string>() is { } pattern && !Regex.IsMatch(text, pattern))
        {
            errors.Add($"{path}: '{text}' does not match {pattern}");
        }
        if (Number(schema["maxLength"]) is { } maxLength && text.Length > maxLength)
        {
            errors.Add($"{path}: longer than {maxLength}");
        }
        if (Number(schema["minLength"]) is { } minLength && text.Length < minLength)
        {
            errors.Add($"{path}: shorter than {minLength}");
        }
        if (schema["format"]?.GetValue<string>() == "date-time" && !DateTimeOffset.TryParse(text, out _))
        {
            errors.Add($"{path}: '{text}' is not a date-time");
        }
    }

    private static void CheckNumber(JsonNode value, JsonObject schema, string type, string path, List<string> errors)
    {
        if (value.GetValueKind() != JsonValueKind.Number)
        {
            errors.Add($"{path}: {value.ToJsonString()} is not a {type}");
            return;
        }
        var number = Number(value)!.Value;
        if (type == "integer" && Math.Floor(number) != number)
        {
            errors.Add($"{path}: {number} is not an integer");
        }
        if (Number(schema["minimum"]) is { } minimum && number < minimum)
        {
            errors.Add($"{path}: {number} is below the minimum {minimum}");
        }
        if (Number(schema["maximum"]) is { } maximum && number > maximum)
        {
            errors.Add($"{path}: {number} is above the maximum {maximum}");
        }
    }
}
