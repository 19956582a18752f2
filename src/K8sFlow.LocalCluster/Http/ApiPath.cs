namespace K8sFlow.LocalCluster.Http;

internal enum ApiPathKind
{
    /// <summary>/api: the legacy APIVersions document.</summary>
    CoreRoot,

    /// <summary>/apis: the APIGroupList.</summary>
    GroupList,

    /// <summary>/apis/{group}: one APIGroup.</summary>
    Group,

    /// <summary>/api/v1 or /apis/{group}/{version}: an APIResourceList.</summary>
    ResourceList,

    /// <summary>A resource collection, object or subresource.</summary>
    Resource,
}

/// <summary>
/// A request path of the Kubernetes REST API, e.g. /apis/batch/v1/namespaces/default/jobs/j1/status.
/// </summary>
internal sealed record ApiPath(ApiPathKind Kind, string Group, string Version, string? Namespace, string? Resource, string? Name, string? Subresource)
{
    public static ApiPath? TryParse(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length == 0)
        {
            return null;
        }
        string group;
        string[] rest;
        switch (segments[0])
        {
            case "api":
                if (segments.Length == 1)
                {
                    return new ApiPath(ApiPathKind.CoreRoot, "", "", null, null, null, null);
                }
                group = "";
                rest = segments[1..];
                break;
            case "apis":
                if (segments.Length == 1)
                {
                    return new ApiPath(ApiPathKind.GroupList, "", "", null, null, null, null);
                }
                if (segments.Length == 2)
                {
                    return new ApiPath(ApiPathKind.Group, segments[1], "", null, null, null, null);
                }
                group = segments[1];
                rest = segments[2..];
                break;
            default:
                return null;
        }
        var version = rest[0];
        var parts = rest[1..];
        if (parts.Length == 0)
        {
            return new ApiPath(ApiPathKind.ResourceList, group, version, null, null, null, null);
        }
        // namespaces/{ns}/{resource}/... is namespaced, except namespaces/{name}/status|finalize (namespace subresources).
        if (parts[0] == "namespaces" && parts.Length >= 3 && !(parts.Length == 3 && parts[2] is "status" or "finalize"))
        {
            return ForResource(group, version, parts[1], parts[2..]);
        }
        return ForResource(group, version, null, parts);
    }

    private static ApiPath? ForResource(string group, string version, string? ns, string[] parts) => parts.Length switch
    {
        1 => new ApiPath(ApiPathKind.Resource, group, version, ns, parts[0], null, null),
        2 => new ApiPath(ApiPathKind.Resource, group, version, ns, parts[0], parts[1], null),
        3 => new ApiPath(ApiPathKind.Resource, group, version, ns, parts[0], parts[1], parts[2]),
        _ => null,
    };
}
