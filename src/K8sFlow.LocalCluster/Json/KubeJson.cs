using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Json;

/// <summary>JSON conventions of the Kubernetes API: compact output, RFC 3339 times.</summary>
internal static class KubeJson
{
    /// <summary>Relaxed escaping keeps run ids ("manual__...+00:00") readable in responses and files.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 256 };

    public static string Serialize(JsonNode? node) => node is null ? "null" : node.ToJsonString(Options);

    public static byte[] SerializeToUtf8(JsonNode? node) => JsonSerializer.SerializeToUtf8Bytes(node, Options);

    /// <summary>Parses a request body; the error text says what was wrong, for a 400 Status.</summary>
    public static JsonNode? TryParse(string text, out string? error)
    {
        try
        {
            error = null;
            return JsonNode.Parse(text, documentOptions: ParseOptions);
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Serialized form of Kubernetes metav1.Time: seconds precision, UTC.</summary>
    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Go's RFC3339Nano: nanosecond digits with trailing zeros trimmed (kubelet log timestamps).</summary>
    public static string Rfc3339Nano(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var fraction = (utc.Ticks % TimeSpan.TicksPerSecond * 100).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        var seconds = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return fraction.Length == 0 ? seconds + "Z" : seconds + "." + fraction + "Z";
    }

    public static bool TryParseTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>Structural equality that treats 1 and 1.0 alike, as Go's decoder would.</summary>
    public static bool Equal(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    public static JsonObject CloneObject(JsonObject node) => node.DeepClone().AsObject();

    /// <summary>Renders a value the way Go's %v/%q does inside validation messages.</summary>
    public static string Display(JsonNode? value) => value switch
    {
        null => "\"null\"",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "\"" + v.GetValue<string>() + "\"",
        _ => Serialize(value),
    };

    public static string TypeName(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
            _ => "null",
        },
        _ => "unknown",
    };

    public static bool IsInteger(JsonValue value) => TryGetNumber(value, out var d) && decimal.Truncate(d) == d;

    /// <summary>Reads any JSON number, whatever CLR type the node was built from.</summary>
    public static bool TryGetNumber(JsonNode? node, out decimal number)
    {
        number = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    public static string? AsString(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? AsLong(JsonNode? node) =>
        TryGetNumber(node, out var d) && decimal.Truncate(d) == d && d is >= long.MinValue and <= long.MaxValue ? (long)d : null;

    public static bool? AsBool(JsonNode? node) => node is JsonValue v ? v.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    } : null;

    /// <summary>A scalar as text (for field selectors and printer cells); objects and arrays as JSON.</summary>
    public static string ScalarText(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "true",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "false",
        _ => Serialize(node),
    };

    /// <summary>Follows a dotted path of object properties ("status.phase").</summary>
    public static JsonNode? At(JsonObject obj, string dottedPath)
    {
        JsonNode? current = obj;
        foreach (var part in dottedPath.Split('.'))
        {
            if (current is not JsonObject o || !o.TryGetPropertyValue(part, out current))
            {
                return null;
            }
        }
        return current;
    }
}
