using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Crds;

/// <summary>
/// Builds a CRD's structural schema from a C# API type by walking the System.Text.Json contract of
/// <see cref="K8sFlowJson.Options"/>, so field names, enum spellings and the set of fields are exactly
/// what the serializer reads and writes.
/// </summary>
/// <remarks>
/// Why not NJsonSchema 10.7.2 (pinned): tried on these types, it emits <c>$ref</c>/<c>definitions</c>
/// and <c>oneOf</c> wrappers for every nullable object, <c>additionalProperties: false</c> beside
/// <c>properties</c>, <c>x-nullable</c>, integer enums (it does not see the generic
/// <c>JsonStringEnumConverter&lt;T&gt;</c>), and describes JsonNode as an object with
/// <c>parent</c>/<c>root</c>/<c>options</c> properties. Inlining and repairing all of that is more code
/// than this walker, and would still not read DataAnnotations the way a CRD needs.
/// </remarks>
public static class SchemaBuilder
{
    private static readonly Dictionary<Type, SchemaNode> Scalars = new()
    {
        [typeof(string)] = new() { Type = "string" },
        [typeof(bool)] = new() { Type = "boolean" },
        [typeof(int)] = new() { Type = "integer" },
        [typeof(long)] = new() { Type = "integer" },
        [typeof(double)] = new() { Type = "number" },
        [typeof(DateTimeOffset)] = new() { Type = "string", Format = "date-time" },
    };

    /// <summary>The schema of <paramref name="type"/> as a custom resource's root (its metadata left to Kubernetes).</summary>
    public static SchemaNode For(Type type) => Build(type, []);

    private static SchemaNode Build(Type type, HashSet<Type> visiting)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(JsonObject))
        {
            return new() { Type = "object", PreserveUnknownFields = true };
        }
        if (typeof(JsonNode).IsAssignableFrom(type))
        {
            return new() { PreserveUnknownFields = true };
        }
        if (type == typeof(ObjectMeta))
        {
            // Kubernetes validates metadata itself and allows a CRD to say no more than "object".
            return new() { Type = "object" };
        }
        if (type.IsEnum)
        {
            return new() { Type = "string", Enum = EnumNames(type) };
        }
        if (Scalars.TryGetValue(type, out var scalar))
        {
            return scalar;
        }

        var info = K8sFlowJson.Options.GetTypeInfo(type);
        return info.Kind switch
        {
            // Enum keys too (a CRD schema cannot constrain map keys without CEL, which the field's description replaces).
            JsonTypeInfoKind.Dictionary when info.KeyType == typeof(string) || info.KeyType!.IsEnum =>
                new() { Type = "object", AdditionalProperties = Build(info.ElementType!, visiting) },
            JsonTypeInfoKind.Enumerable => ArrayOf(info.ElementType!, visiting),
            JsonTypeInfoKind.Object => ObjectOf(info, visiting),
            _ => throw new NotSupportedException($"CRD schema: no mapping for {type.FullName}; add one to {nameof(SchemaBuilder)}."),
        };
    }

    private static SchemaNode ArrayOf(Type elementType, HashSet<Type> visiting)
    {
        var items = Build(elementType, visiting);
        // Items with a [Key] property make a list-map: Kubernetes then rejects duplicate keys.
        var element = K8sFlowJson.Options.GetTypeInfo(elementType);
        List<string> keys = element.Kind == JsonTypeInfoKind.Object
            ? [.. element.Properties.Where(p => Attribute<KeyAttribute>(p) is not null).Select(p => p.Name)]
            : [];
        return new() { Type = "array", Items = items, ListMapKeys = keys.Count > 0 ? keys : null };
    }

    private static SchemaNode ObjectOf(JsonTypeInfo info, HashSet<Type> visiting)
    {
        if (!visiting.Add(info.Type))
        {
            throw new NotSupportedException($"CRD schema: {info.Type.Name} contains itself; structural schemas cannot recurse.");
        }
        var properties = new SortedDictionary<string, SchemaNode>(StringComparer.Ordinal);
        var required = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var property in info.Properties)
        {
            properties[property.Name] = WithConstraints(Build(property.PropertyType, visiting), property);
            // A list-map key must be present on every item, so [Key] implies required.
            if (Attribute<RequiredAttribute>(property) is not null || Attribute<KeyAttribute>(property) is not null)
            {
                required.Add(property.Name);
            }
        }
        visiting.Remove(info.Type);
        return new()
        {
            Type = "object",
            Description = DescriptionOf(info.Type),
            Properties = properties,
            Required = required.Count > 0 ? [.. required] : null,
        };
    }

    /// <summary>Applies the property's description and DataAnnotations to the schema of its type.</summary>
    private static SchemaNode WithConstraints(SchemaNode node, JsonPropertyInfo property)
    {
        var isArray = node.Type == "array";
        var range = Attribute<RangeAttribute>(property);
        var minLength = Attribute<MinLengthAttribute>(property)?.Length;
        var maxLength = Attribute<MaxLengthAttribute>(property)?.Length;
        return node with
        {
            Description = Attribute<DescriptionAttribute>(property)?.Description ?? node.Description,
            Pattern = Attribute<RegularExpressionAttribute>(property)?.Pattern ?? node.Pattern,
            Enum = Attribute<AllowedValuesAttribute>(property)?.Values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToList() ?? node.Enum,
            Minimum = Bound(range?.Minimum) ?? node.Minimum,
            Maximum = Bound(range?.Maximum) ?? node.Maximum,
            MinLength = isArray ? node.MinLength : minLength ?? node.MinLength,
            MaxLength = isArray ? node.MaxLength : maxLength ?? node.MaxLength,
            MinItems = isArray ? minLength ?? node.MinItems : node.MinItems,
            MaxItems = isArray ? maxLength ?? node.MaxItems : node.MaxItems,
        };
    }

    /// <summary>A [Range] bound, or null for the int/double extremes that mean "unbounded".</summary>
    private static double? Bound(object? value)
    {
        if (value is null)
        {
            return null;
        }
        var bound = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        return bound is int.MaxValue or int.MinValue or double.MaxValue or double.MinValue ? null : bound;
    }

    /// <summary>Enum members exactly as <see cref="K8sFlowJson.Options"/> writes them (TaskState: upstream_failed).</summary>
    private static List<string> EnumNames(Type enumType) =>
        [.. Enum.GetValues(enumType).Cast<object>()
            .Select(value => JsonSerializer.SerializeToElement(value, enumType, K8sFlowJson.Options).GetString()!)];

    private static string? DescriptionOf(Type type) =>
        type.GetCustomAttribute<DescriptionAttribute>()?.Description;

    private static T? Attribute<T>(JsonPropertyInfo property) where T : Attribute =>
        property.AttributeProvider?.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault();
}
