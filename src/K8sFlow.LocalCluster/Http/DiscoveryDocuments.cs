using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Resources;

namespace K8sFlow.LocalCluster.Http;

/// <summary>The discovery documents: legacy (/api, /apis, APIResourceList per group-version) and aggregated (v2).</summary>
internal static class DiscoveryDocuments
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject GroupList(ResourceRegistry registry) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(registry.Groups().Where(g => g.Group.Length > 0).Select(g => (JsonNode)Group(g.Group, g.Versions)).ToArray()),
    };

    public static JsonObject? Group(ResourceRegistry registry, string group) =>
        registry.Groups().Where(g => g.Group == group).Select(g => Group(g.Group, g.Versions)).FirstOrDefault();

    private static JsonObject Group(string group, IReadOnlyList<string> versions)
    {
        JsonObject Version(string v) => new() { ["groupVersion"] = $"{group}/{v}", ["version"] = v };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)Version(v)).ToArray()),
            ["preferredVersion"] = Version(versions[0]),
        };
    }

    /// <summary>The APIResourceList of one group-version; subresources are entries of their own ("pods/log").</summary>
    public static JsonObject? ResourceList(ResourceRegistry registry, string group, string version)
    {
        var definitions = registry.All.Where(d => d.Group == group && d.Version(version) is not null).ToList();
        if (definitions.Count == 0)
        {
            return null;
        }
        var resources = new JsonArray();
        foreach (var d in definitions)
        {
            var entry = new JsonObject
            {
                ["name"] = d.Plural,
                ["singularName"] = d.Singular,
                ["namespaced"] = d.Namespaced,
                ["kind"] = d.Kind,
                ["verbs"] = Strings(ResourceDefinition.AllVerbs),
            };
            if (d.ShortNames.Count > 0)
            {
                entry["shortNames"] = Strings(d.ShortNames);
            }
            if (d.Categories.Count > 0)
            {
                entry["categories"] = Strings(d.Categories);
            }
            resources.Add(entry);
            foreach (var (subresource, verbs) in Subresources(d))
            {
                resources.Add(new JsonObject
                {
                    ["name"] = $"{d.Plural}/{subresource}",
                    ["singularName"] = "",
                    ["namespaced"] = d.Namespaced,
                    ["kind"] = d.Kind,
                    ["verbs"] = Strings(verbs),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    /// <summary>The aggregated document of /api (core) or /apis (every named group).</summary>
    public static JsonObject Aggregated(ResourceRegistry registry, bool core)
    {
        var items = new JsonArray();
        foreach (var (group, versions) in registry.Groups().Where(g => (g.Group.Length == 0) == core))
        {
            var metadata = new JsonObject { ["creationTimestamp"] = null };
            if (group.Length > 0)
            {
                metadata["name"] = group;
            }
            items.Add(new JsonObject
            {
                ["metadata"] = metadata,
                ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject
                {
                    ["version"] = v,
                    ["resources"] = new JsonArray(registry.All.Where(d => d.Group == group && d.Version(v) is not null)
                        .Select(d => (JsonNode)AggregatedResource(d, v)).ToArray()),
                    ["freshness"] = "Current",
                }).ToArray()),
            });
        }
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject AggregatedResource(ResourceDefinition d, string version)
    {
        JsonObject Kind() => new() { ["group"] = d.Group, ["version"] = version, ["kind"] = d.Kind };
        var resource = new JsonObject
        {
            ["resource"] = d.Plural,
            ["responseKind"] = Kind(),
            ["scope"] = d.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = d.Singular,
            ["verbs"] = Strings(ResourceDefinition.AllVerbs),
        };
        if (d.ShortNames.Count > 0)
        {
            resource["shortNames"] = Strings(d.ShortNames);
        }
        if (d.Categories.Count > 0)
        {
            resource["categories"] = Strings(d.Categories);
        }
        var subresources = Subresources(d).ToList();
        if (subresources.Count > 0)
        {
            resource["subresources"] = new JsonArray(subresources.Select(s => (JsonNode)new JsonObject
            {
                ["subresource"] = s.Name,
                ["responseKind"] = Kind(),
                ["verbs"] = Strings(s.Verbs),
            }).ToArray());
        }
        return resource;
    }

    private static IEnumerable<(string Name, IReadOnlyList<string> Verbs)> Subresources(ResourceDefinition d)
    {
        foreach (var extra in d.ExtraSubresources)
        {
            yield return (extra, ["get"]);
        }
        if (d.HasStatus)
        {
            yield return ("status", ["get", "patch", "update"]);
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());
}
