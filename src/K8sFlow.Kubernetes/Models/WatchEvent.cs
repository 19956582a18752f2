using System.Text.Json;
using System.Text.Json.Serialization;

namespace K8sFlow.Kubernetes.Models;

[JsonConverter(typeof(JsonStringEnumConverter<WatchEventType>))]
public enum WatchEventType
{
    [JsonStringEnumMemberName("ADDED")]
    Added,
    [JsonStringEnumMemberName("MODIFIED")]
    Modified,
    [JsonStringEnumMemberName("DELETED")]
    Deleted,
    /// <summary>Carries only metadata.resourceVersion: the watch has seen everything up to it.</summary>
    [JsonStringEnumMemberName("BOOKMARK")]
    Bookmark,
    /// <summary>The object is a Status, e.g. 410 Expired: re-list.</summary>
    [JsonStringEnumMemberName("ERROR")]
    Error,
}

/// <summary>
/// One line of a watch stream: <c>{"type":"ADDED","object":{...}}</c>. For
/// <see cref="WatchEventType.Error"/> the wire object is a Status, exposed as <see cref="Error"/>
/// with <see cref="Object"/> null.
/// </summary>
[JsonConverter(typeof(WatchEventJsonConverterFactory))]
public sealed record WatchEvent<T>(WatchEventType Type, T? Object, ApiStatus? Error = null)
    where T : class
{
    /// <summary>An ERROR event whose Status says the requested resourceVersion is gone (410): re-list.</summary>
    public bool IsExpired => Type == WatchEventType.Error && Error is { Code: 410 };
}

/// <summary>Reads and writes <see cref="WatchEvent{T}"/> in the wire shape.</summary>
public sealed class WatchEventJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(WatchEvent<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(WatchEventConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class WatchEventConverter<T> : JsonConverter<WatchEvent<T>> where T : class
    {
        public override WatchEvent<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var typeElement)
                || typeElement.ValueKind != JsonValueKind.String)
            {
                throw new JsonException("A watch event needs a string 'type' (ADDED, MODIFIED, DELETED, BOOKMARK or ERROR).");
            }
            var type = typeElement.Deserialize<WatchEventType>(options);
            root.TryGetProperty("object", out var objectElement);
            if (type == WatchEventType.Error)
            {
                var status = objectElement.ValueKind == JsonValueKind.Object ? objectElement.Deserialize<ApiStatus>(options) : null;
                return new WatchEvent<T>(type, null, status ?? new ApiStatus { Status = "Failure", Message = "watch ERROR event without a Status" });
            }
            if (objectElement.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException($"The {typeElement.GetString()} watch event has no 'object'.");
            }
            return new WatchEvent<T>(type, objectElement.Deserialize<T>(options));
        }

        public override void Write(Utf8JsonWriter writer, WatchEvent<T> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("type");
            JsonSerializer.Serialize(writer, value.Type, options);
            writer.WritePropertyName("object");
            if (value.Type == WatchEventType.Error)
            {
                JsonSerializer.Serialize(writer, value.Error, options);
            }
            else
            {
                JsonSerializer.Serialize(writer, value.Object, options);
            }
            writer.WriteEndObject();
        }
    }
}
