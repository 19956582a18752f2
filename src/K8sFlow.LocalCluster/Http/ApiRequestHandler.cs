using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;
using Microsoft.AspNetCore.Http;

namespace K8sFlow.LocalCluster.Http;

/// <summary>Routes every request by its Kubernetes path: version, health, discovery, OpenAPI, resources, pod logs.</summary>
internal sealed class ApiRequestHandler(ClusterStore store, IPodLogStore logs, ApiSettings settings)
{
    private readonly ResourceEndpoints _resources = new(store, settings);
    private readonly PodLogEndpoint _podLogs = new(store, logs, settings);

    /// <summary>The version kubectl's dispatcher reads to pick its bundled 1.32 client.</summary>
    public static readonly JsonObject Version = new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.4+k8sflow",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-04-22T00:00:00Z",
        ["goVersion"] = "go1.23.6",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    /// <summary>Paths any client may read without a token, as on a real cluster (system:public-info-viewer).</summary>
    public static bool IsPublic(string path) => path is "/version" or "/healthz" or "/livez" or "/readyz";

    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        switch (path.TrimEnd('/'))
        {
            case "/version":
                return HttpIo.WriteJsonAsync(context, 200, Version.DeepClone());
            case "/healthz" or "/livez" or "/readyz":
                context.Response.ContentType = "text/plain";
                return context.Response.WriteAsync("ok", context.RequestAborted);
            case "/openapi/v3":
                return HttpIo.WriteJsonAsync(context, 200, OpenApiDocuments.Index(store.Registry));
        }
        if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            return OpenApiAsync(context, path["/openapi/v3/".Length..]);
        }
        var apiPath = ApiPath.TryParse(path);
        if (apiPath is null)
        {
            return HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource());
        }
        if (apiPath.Kind != ApiPathKind.Resource && context.Request.Method != "GET")
        {
            return HttpIo.WriteStatusAsync(context, ApiStatus.MethodNotAllowed());
        }
        var registry = store.Registry;
        var aggregated = HttpIo.WantsAggregatedDiscovery(context);
        switch (apiPath.Kind)
        {
            case ApiPathKind.CoreRoot:
                return aggregated
                    ? HttpIo.WriteJsonAsync(context, 200, DiscoveryDocuments.Aggregated(registry, core: true), DiscoveryDocuments.AggregatedContentType)
                    : HttpIo.WriteJsonAsync(context, 200, DiscoveryDocuments.CoreVersions($"{context.Request.Host}"));
            case ApiPathKind.GroupList:
                return aggregated
                    ? HttpIo.WriteJsonAsync(context, 200, DiscoveryDocuments.Aggregated(registry, core: false), DiscoveryDocuments.AggregatedContentType)
                    : HttpIo.WriteJsonAsync(context, 200, DiscoveryDocuments.GroupList(registry));
            case ApiPathKind.Group:
                return DiscoveryDocuments.Group(registry, apiPath.Group) is { } group
                    ? HttpIo.WriteJsonAsync(context, 200, group)
                    : HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource());
            case ApiPathKind.ResourceList:
                return DiscoveryDocuments.ResourceList(registry, apiPath.Group, apiPath.Version) is { } list
                    ? HttpIo.WriteJsonAsync(context, 200, list)
                    : HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource());
        }
        var definition = registry.Find(apiPath.Group, apiPath.Version, apiPath.Resource!);
        if (definition is null || (apiPath.Namespace is not null && !definition.Namespaced))
        {
            return HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource());
        }
        if (apiPath.Subresource == "log" && definition.Ref == ResourceRef.Pods && apiPath.Namespace is not null)
        {
            return _podLogs.HandleAsync(context, apiPath);
        }
        return _resources.HandleAsync(context, apiPath, definition);
    }

    private Task OpenApiAsync(HttpContext context, string groupVersion)
    {
        var parts = groupVersion.Split('/');
        var document = parts switch
        {
            ["api", var version] => OpenApiDocuments.Document(store.Registry, "", version),
            ["apis", var group, var version] => OpenApiDocuments.Document(store.Registry, group, version),
            _ => null,
        };
        return document is null
            ? HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource())
            : HttpIo.WriteJsonAsync(context, 200, document);
    }
}
