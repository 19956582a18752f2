using System.Text.Json;
using System.Text.Json.Serialization;
using K8sFlow.Core.Api;

namespace K8sFlow.Kubernetes.Models;

/// <summary>
/// The JSON shape the client reads and writes: Core's shape (camelCase, nulls omitted, Airflow
/// state names) except that unknown members are skipped, because real API servers send many
/// fields these DTOs do not model.
/// </summary>
public static class KubeJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        // The copy constructor keeps Core's naming policy, null handling and enum converters.
        var options = new JsonSerializerOptions(K8sFlowJson.Options)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            WriteIndented = false,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// A deep copy through a serialization round trip. Informer caches hand out shared objects whose
    /// lists and dictionaries are mutable: copy before changing anything.
    /// </summary>
    public static T DeepClone<T>(T value) where T : notnull =>
        JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, Options), Options)!;
}

/// <summary>
/// Kubernetes <c>MicroTime</c> (Lease and Event times): RFC 3339 in UTC with exactly six
/// fractional digits, e.g. <c>2026-01-01T00:00:00.000000Z</c>. Reads any RFC 3339 time.
/// </summary>
public sealed class MicroTimeConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, System.Globalization.CultureInfo.InvariantCulture));
}
