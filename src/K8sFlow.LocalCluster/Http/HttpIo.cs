using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;
using Microsoft.AspNetCore.Http;

namespace K8sFlow.LocalCluster.Http;

/// <summary>Reading requests and writing JSON answers the way the apiserver does.</summary>
internal static class HttpIo
{
    public const string Json = "application/json";

    public static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body, string contentType = Json, IReadOnlyList<string>? warnings = null)
    {
        var bytes = KubeJson.SerializeToUtf8(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        foreach (var warning in warnings ?? [])
        {
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
        }
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    public static Task WriteStatusAsync(HttpContext context, ApiStatus status) => WriteJsonAsync(context, status.Code, status.ToJson());

    public static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    /// <summary>
    /// Bodies must be JSON or YAML. kubectl's typed commands (`kubectl create configmap ...`) send
    /// protobuf, which this server does not decode: the 415 says what to use instead.
    /// </summary>
    public static ApiStatus? UnsupportedBody(HttpContext context)
    {
        var type = context.Request.ContentType ?? "";
        return type.Contains("protobuf", StringComparison.OrdinalIgnoreCase) || type.Contains("cbor", StringComparison.OrdinalIgnoreCase)
            ? ApiStatus.UnsupportedMediaType(
                $"the local cluster reads JSON and YAML bodies only, not {type.Split(';')[0]} (kubectl sends protobuf for generator commands such as `kubectl create configmap`: use `kubectl apply -f` or `kubectl create -f` instead)")
            : null;
    }

    public static string? Query(HttpContext context, string name) =>
        context.Request.Query.TryGetValue(name, out var values) && values.Count > 0 ? values[^1] : null;

    public static bool QueryFlag(HttpContext context, string name) =>
        Query(context, name) is { } value && (value == "" || value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    public static long? QueryLong(HttpContext context, string name) =>
        long.TryParse(Query(context, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>True when the Accept header asks for a meta.k8s.io Table (v1 or v1beta1, both answered as v1).</summary>
    public static bool WantsTable(HttpContext context) =>
        AcceptedTypes(context).Any(t => t.Contains("as=Table", StringComparison.Ordinal) && t.Contains("g=meta.k8s.io", StringComparison.Ordinal));

    /// <summary>True when the Accept header asks for aggregated discovery (apidiscovery.k8s.io/v2).</summary>
    public static bool WantsAggregatedDiscovery(HttpContext context) =>
        AcceptedTypes(context).Any(t => t.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal)
            && t.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal)
            && t.Contains("v=v2", StringComparison.Ordinal) && !t.Contains("v=v2beta1", StringComparison.Ordinal));

    private static IEnumerable<string> AcceptedTypes(HttpContext context) =>
        context.Request.Headers.Accept.SelectMany(h => (h ?? "").Split(',')).Select(t => t.Replace(" ", "", StringComparison.Ordinal));
}
