using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Tables;

/// <summary>What a Table row carries besides its cells (the <c>includeObject</c> parameter).</summary>
internal enum IncludeObject
{
    None,
    Metadata,
    Object,
}

/// <summary>Turns objects into the meta.k8s.io/v1 Table kubectl prints (the server-side printing contract).</summary>
internal static class TableConverter
{
    public const string ContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    public static JsonObject ToTable(
        IReadOnlyList<PrinterColumn> columns,
        IEnumerable<JsonObject> objects,
        DateTimeOffset now,
        IncludeObject include,
        bool withColumnDefinitions,
        JsonObject listMetadata)
    {
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMetadata,
            ["columnDefinitions"] = withColumnDefinitions ? new JsonArray(columns.Select(c => (JsonNode)c.Definition()).ToArray()) : null,
            ["rows"] = new JsonArray(objects.Select(o => (JsonNode)Row(columns, o, now, include)).ToArray()),
        };
    }

    private static JsonObject Row(IReadOnlyList<PrinterColumn> columns, JsonObject obj, DateTimeOffset now, IncludeObject include)
    {
        var row = new JsonObject { ["cells"] = new JsonArray(columns.Select(c => c.Cell(obj, now)).ToArray()) };
        switch (include)
        {
            case IncludeObject.Metadata:
                row["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = obj["metadata"]?.DeepClone(),
                };
                break;
            case IncludeObject.Object:
                row["object"] = obj.DeepClone();
                break;
        }
        return row;
    }
}
