using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using K8sFlow.Core.Api;
using K8sFlow.Core.Validation;
using YamlDotNet.RepresentationModel;

namespace K8sFlow.Core.Manifests;

/// <summary>
/// Converts a YAML node tree to JSON guided by the C# type it will become, so that:
/// a plain scalar lands in a string field as the text the user wrote (<c>image: 3.10</c> is "3.10", not 3.1);
/// type mismatches and unknown fields are reported with their exact line, all of them rather than the first;
/// and free-form fields (param defaults, podTemplate) get YAML 1.2 type inference.
/// The field names and types come from <see cref="K8sFlowJson.Options"/>, the same metadata that deserializes.
/// </summary>
internal sealed class TypedYamlReader(DocumentContext document)
{
    // Aliases are expanded by copying: cap the nodes read a second time, so an alias bomb cannot exhaust memory.
    private const int MaxAliasedNodes = 50_000;

    // Standard Kubernetes metadata that K8sFlow does not model (e.g. in `kubectl get -o yaml` output).
    private static readonly HashSet<string> IgnoredMetadataFields = new(StringComparer.Ordinal)
    {
        "managedFields", "selfLink", "deletionGracePeriodSeconds",
    };

    private readonly Dictionary<Type, Dictionary<string, JsonPropertyInfo>> _properties = [];
    private readonly HashSet<YamlNode> _read = new(ReferenceEqualityComparer.Instance);
    private int _aliasedNodes;
    private string? _task;

    public Dictionary<string, int> Lines { get; } = new(StringComparer.Ordinal);
    public List<Diagnostic> Diagnostics { get; } = [];

    /// <param name="node">The YAML node.</param>
    /// <param name="target">The C# type the node becomes.</param>
    /// <param name="path">The node's field path, e.g. spec.tasks[2].retries.</param>
    /// <param name="nullable">
    /// Whether null is allowed: nullable properties and JSON values only. A null task name, list item or
    /// param declaration would otherwise reach code that rightly assumes it is there.
    /// </param>
    public JsonNode? Read(YamlNode node, Type target, string path, bool nullable = true)
    {
        if (!_read.Add(node) && ++_aliasedNodes > MaxAliasedNodes)
        {
            if (_aliasedNodes == MaxAliasedNodes + 1)
            {
                Report(node, path, $"aliases (*name) expand to more than {MaxAliasedNodes} nodes; refusing to load the document");
            }
            return null;
        }
        Lines.TryAdd(path, checked((int)node.Start.Line));
        var type = Nullable.GetUnderlyingType(target) ?? target;
        if (node is YamlScalarNode nullScalar && YamlScalars.IsNull(nullScalar))
        {
            if (!nullable || (type.IsValueType && Nullable.GetUnderlyingType(target) is null))
            {
                Report(node, path, $"expected {Describe(type)}, got null");
            }
            return null;
        }
        if (typeof(JsonNode).IsAssignableFrom(type))
        {
            return ReadFree(node, type, path);
        }
        var info = K8sFlowJson.Options.GetTypeInfo(type);
        return info.Kind switch
        {
            JsonTypeInfoKind.Object => ReadObject(node, info, path),
            JsonTypeInfoKind.Dictionary => ReadDictionary(node, info, path),
            JsonTypeInfoKind.Enumerable => ReadList(node, info, path),
            _ => ReadScalar(node, type, path),
        };
    }

    private JsonNode? ReadObject(YamlNode node, JsonTypeInfo info, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            return Mismatch(node, info.Type, path);
        }
        var properties = PropertiesOf(info);
        // Diagnostics inside a task name it: remember the task while reading its fields.
        var isTask = info.Type == typeof(TaskSpec);
        var outerTask = _task;
        if (isTask)
        {
            _task = mapping.Children.TryGetValue(new YamlScalarNode("name"), out var name) && name is YamlScalarNode s && !YamlScalars.IsNull(s) ? s.Value : null;
        }
        var result = new JsonObject();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (!TryKey(keyNode, path, out var key))
            {
                continue;
            }
            var fieldPath = FieldPaths.Property(path, key);
            if (!properties.TryGetValue(key, out var property))
            {
                if (!(info.Type == typeof(ObjectMeta) && IgnoredMetadataFields.Contains(key)))
                {
                    Lines.TryAdd(fieldPath, checked((int)keyNode.Start.Line));
                    Report(keyNode, fieldPath, $"unknown field \"{key}\"{Suggestions.DidYouMean(key, properties.Keys)}");
                }
                continue;
            }
            // The key's line, not the value's: a nested mapping starts on the line after its key.
            Lines.TryAdd(fieldPath, checked((int)keyNode.Start.Line));
            result[key] = Read(valueNode, property.PropertyType, fieldPath, property.IsSetNullable);
        }
        if (isTask)
        {
            _task = outerTask;
        }
        return result;
    }

    private JsonNode? ReadDictionary(YamlNode node, JsonTypeInfo info, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            return Mismatch(node, info.Type, path);
        }
        var result = new JsonObject();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (TryKey(keyNode, path, out var key))
            {
                var fieldPath = FieldPaths.Property(path, key);
                Lines.TryAdd(fieldPath, checked((int)keyNode.Start.Line));
                result[key] = Read(valueNode, info.ElementType!, fieldPath, AllowsNull(info.ElementType!));
            }
        }
        return result;
    }

    private JsonNode? ReadList(YamlNode node, JsonTypeInfo info, string path)
    {
        if (node is not YamlSequenceNode sequence)
        {
            return Mismatch(node, info.Type, path);
        }
        var result = new JsonArray();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            result.Add(Read(sequence.Children[i], info.ElementType!, FieldPaths.Item(path, i), AllowsNull(info.ElementType!)));
        }
        return result;
    }

    private JsonNode? ReadScalar(YamlNode node, Type type, string path)
    {
        if (node is not YamlScalarNode scalar)
        {
            return Mismatch(node, type, path);
        }
        if (type == typeof(string))
        {
            // Lenient strings: a plain 3.10 or 0755 in a string field is the text as written.
            return JsonValue.Create(scalar.Value ?? "");
        }
        if (type == typeof(bool))
        {
            return YamlScalars.TryBoolean(scalar, out var b) ? JsonValue.Create(b) : Mismatch(node, type, path);
        }
        if (type == typeof(int) || type == typeof(long))
        {
            var fits = YamlScalars.TryInteger(scalar, out var n) && (type == typeof(long) || n is >= int.MinValue and <= int.MaxValue);
            return fits ? JsonValue.Create(n) : Mismatch(node, type, path);
        }
        if (type == typeof(double))
        {
            return YamlScalars.TryNumber(scalar, out var d) ? JsonValue.Create(d) : Mismatch(node, type, path);
        }
        // Anything else (date-times, status enums) is written as a string; let the serializer judge it.
        var value = JsonValue.Create(scalar.Value ?? "");
        try
        {
            _ = value.Deserialize(type, K8sFlowJson.Options);
            return value;
        }
        catch (JsonException)
        {
            return Mismatch(node, type, path);
        }
    }

    private JsonNode? ReadFree(YamlNode node, Type type, string path)
    {
        var result = node switch
        {
            YamlMappingNode mapping => ReadFreeMapping(mapping, path),
            YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select((child, i) => Read(child, typeof(JsonNode), FieldPaths.Item(path, i)))]),
            YamlScalarNode scalar => YamlScalars.Infer(scalar),
            _ => null,
        };
        return result is null || type.IsInstanceOfType(result) ? result : Mismatch(node, type, path);
    }

    private JsonObject ReadFreeMapping(YamlMappingNode mapping, string path)
    {
        var result = new JsonObject();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (TryKey(keyNode, path, out var key))
            {
                var fieldPath = FieldPaths.Property(path, key);
                Lines.TryAdd(fieldPath, checked((int)keyNode.Start.Line));
                result[key] = Read(valueNode, typeof(JsonNode), fieldPath);
            }
        }
        return result;
    }

    // Collection items carry no nullability metadata: only JSON values and Nullable<T> items may be null.
    private static bool AllowsNull(Type itemType) =>
        typeof(JsonNode).IsAssignableFrom(itemType) || Nullable.GetUnderlyingType(itemType) is not null;

    private bool TryKey(YamlNode keyNode, string path, out string key)
    {
        key = (keyNode as YamlScalarNode)?.Value ?? "";
        if (keyNode is YamlScalarNode)
        {
            return true;
        }
        Report(keyNode, path, "a mapping key must be a plain string, not a mapping or list");
        return false;
    }

    private Dictionary<string, JsonPropertyInfo> PropertiesOf(JsonTypeInfo info)
    {
        if (!_properties.TryGetValue(info.Type, out var properties))
        {
            // Exact (case-sensitive) names, as the Kubernetes API server reads them.
            properties = info.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
            _properties[info.Type] = properties;
        }
        return properties;
    }

    private JsonNode? Mismatch(YamlNode node, Type type, string path)
    {
        Report(node, path, $"expected {Describe(type)}, got {DescribeNode(node)}");
        return null;
    }

    private void Report(YamlNode node, string path, string message) =>
        Diagnostics.Add(document.Diagnose(Severity.Error, path, message, checked((int)node.Start.Line), _task));

    internal static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(double)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(DateTimeOffset)) return "a date-time such as 2026-01-01T00:00:00Z";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => JsonSerializer.Serialize(Enum.Parse(type, n), K8sFlowJson.Options)));
        if (type == typeof(JsonArray)) return "a list";
        var kind = typeof(JsonNode).IsAssignableFrom(type) ? JsonTypeInfoKind.Object : K8sFlowJson.Options.GetTypeInfo(type).Kind;
        return kind == JsonTypeInfoKind.Enumerable ? "a list" : "a mapping";
    }

    internal static string DescribeNode(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when YamlScalars.IsNull(s) => "null",
        YamlScalarNode s => "\"" + s.Value + "\"",
        _ => node.NodeType.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
