using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Tables;

/// <summary>One column of a meta.k8s.io/v1 Table; <see cref="Cell"/> computes the cell of an object at a time.</summary>
internal sealed record PrinterColumn(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell)
{
    public const string NameDescription = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    public const string AgeDescription = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public static readonly PrinterColumn NameColumn = new("Name", "string", "name", NameDescription, 0, (o, _) => o.Name());

    /// <summary>Built-in kinds print Age as a string column.</summary>
    public static readonly PrinterColumn Age = new("Age", "string", "", AgeDescription, 0, (o, now) => AgeOf(o.MetaString("creationTimestamp"), now));

    /// <summary>Custom resources without printer columns get a date-typed Age.</summary>
    public static readonly PrinterColumn CustomResourceAge = Age with { Type = "date" };

    public static JsonNode? AgeOf(string? timestamp, DateTimeOffset now) =>
        KubeJson.TryParseTime(timestamp, out var time) ? HumanDuration.Format(now - time) : "<unknown>";

    public JsonObject Definition() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["format"] = Format,
        ["description"] = Description,
        ["priority"] = Priority,
    };

    /// <summary>A CRD additionalPrinterColumns entry: JSONPath cell, typed like the apiextensions table convertor.</summary>
    public static PrinterColumn FromCrd(JsonObject column)
    {
        var type = KubeJson.AsString(column["type"]) ?? "string";
        var path = SimpleJsonPath.TryParse(KubeJson.AsString(column["jsonPath"]) ?? "");
        return new PrinterColumn(
            KubeJson.AsString(column["name"]) ?? "",
            type,
            KubeJson.AsString(column["format"]) ?? "",
            KubeJson.AsString(column["description"]) ?? "",
            (int)(KubeJson.AsLong(column["priority"]) ?? 0),
            (obj, now) => path?.Evaluate(obj) is [var first, ..] ? CrdCell(type, first, now) : null);
    }

    private static JsonNode? CrdCell(string type, JsonNode? value, DateTimeOffset now) => type switch
    {
        "string" => value is null ? null : KubeJson.ScalarText(value),
        "integer" => KubeJson.AsLong(value) is { } l ? l : null,
        "number" => KubeJson.TryGetNumber(value, out var d) ? JsonValue.Create(d) : null,
        "boolean" => KubeJson.AsBool(value) is { } b ? b : null,
        "date" => KubeJson.AsString(value) is { } text && KubeJson.TryParseTime(text, out var time) ? HumanDuration.Format(now - time) : null,
        _ => value?.DeepClone(),
    };
}
