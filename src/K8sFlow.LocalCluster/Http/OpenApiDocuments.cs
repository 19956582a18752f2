using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Resources;

namespace K8sFlow.LocalCluster.Http;

/// <summary>
/// Minimal OpenAPI v3: an index of group-versions and one document per group-version whose
/// operations carry x-kubernetes-group-version-kind. Every PATCH (and POST/PUT) lists the
/// fieldValidation parameter, which is what makes kubectl leave validation to this server.
/// Custom resources publish their CRD schema (for kubectl explain); built-ins publish none, and no
/// operation declares a request body, so kubectl keeps its compiled-in strategic merge patch.
/// </summary>
internal static class OpenApiDocuments
{
    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var (group, versions) in registry.Groups())
        {
            foreach (var version in versions)
            {
                var key = GroupVersionPath(group, version);
                paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={Hash(Document(registry, group, version)!)}" };
            }
        }
        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>"api/v1" or "apis/batch/v1": the key of a group-version in the index.</summary>
    public static string GroupVersionPath(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    public static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(KubeJson.Serialize(document))));

    public static JsonObject? Document(ResourceRegistry registry, string group, string version)
    {
        var definitions = registry.All.Where(d => d.Group == group && d.Version(version) is not null).ToList();
        if (definitions.Count == 0)
        {
            return null;
        }
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var d in definitions)
        {
            if (d.Version(version)?.OpenApiSchema?.DeepClone() is JsonObject schema)
            {
                schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = group, ["kind"] = d.Kind, ["version"] = version });
                schemas[SchemaName(group, version, d.Kind)] = schema;
            }
            var prefix = "/" + GroupVersionPath(group, version) + (d.Namespaced ? "/namespaces/{namespace}/" : "/") + d.Plural;
            var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = d.Kind };
            paths[prefix] = new JsonObject
            {
                ["get"] = Operation("list", gvk, "list" + d.Kind, []),
                ["post"] = Operation("post", gvk, "create" + d.Kind, WriteParameters(false)),
                ["parameters"] = PathParameters(d.Namespaced, withName: false),
            };
            paths[prefix + "/{name}"] = new JsonObject
            {
                ["get"] = Operation("get", gvk, "read" + d.Kind, []),
                ["put"] = Operation("put", gvk, "replace" + d.Kind, WriteParameters(false)),
                ["patch"] = Operation("patch", gvk, "patch" + d.Kind, WriteParameters(true)),
                ["delete"] = Operation("delete", gvk, "delete" + d.Kind, []),
                ["parameters"] = PathParameters(d.Namespaced, withName: true),
            };
            if (d.HasStatus)
            {
                paths[prefix + "/{name}/status"] = new JsonObject
                {
                    ["get"] = Operation("get", gvk, "read" + d.Kind + "Status", []),
                    ["put"] = Operation("put", gvk, "replace" + d.Kind + "Status", WriteParameters(false)),
                    ["patch"] = Operation("patch", gvk, "patch" + d.Kind + "Status", WriteParameters(true)),
                    ["parameters"] = PathParameters(d.Namespaced, withName: true),
                };
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.4" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    /// <summary>"io.k8sflow.tests.v1.Widget": the apiserver names schemas by reversed group.</summary>
    private static string SchemaName(string group, string version, string kind) =>
        string.Join('.', group.Split('.').Reverse()) + $".{version}.{kind}";

    private static JsonObject Operation(string action, JsonObject gvk, string operationId, JsonArray parameters) => new()
    {
        ["operationId"] = operationId,
        ["parameters"] = parameters,
        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
        ["x-kubernetes-action"] = action,
        ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
    };

    private static JsonArray WriteParameters(bool patch)
    {
        var parameters = new JsonArray(
            QueryParameter("dryRun", "string"),
            QueryParameter("fieldManager", "string"),
            QueryParameter("fieldValidation", "string"));
        if (patch)
        {
            parameters.Add(QueryParameter("force", "boolean"));
        }
        return parameters;
    }

    private static JsonObject QueryParameter(string name, string type) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true },
    };

    private static JsonArray PathParameters(bool namespaced, bool withName)
    {
        var parameters = new JsonArray();
        if (withName)
        {
            parameters.Add(PathParameter("name"));
        }
        if (namespaced)
        {
            parameters.Add(PathParameter("namespace"));
        }
        return parameters;
    }

    private static JsonObject PathParameter(string name) => new()
    {
        ["name"] = name,
        ["in"] = "path",
        ["required"] = true,
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };
}
