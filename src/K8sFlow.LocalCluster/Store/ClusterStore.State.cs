using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Store;

/// <summary>Everything the store holds, for persistence: the resourceVersion counter and every object.</summary>
internal sealed record StoreState(long ResourceVersion, IReadOnlyList<(ResourceRef Resource, JsonObject Object)> Objects)
{
    public JsonObject ToJson() => new()
    {
        ["resourceVersion"] = ResourceVersion,
        ["objects"] = new JsonArray(Objects.Select(o => (JsonNode)new JsonObject
        {
            ["group"] = o.Resource.Group,
            ["resource"] = o.Resource.Resource,
            ["object"] = o.Object.DeepClone(),
        }).ToArray()),
    };

    public static StoreState? FromJson(JsonNode? json)
    {
        if (json is not JsonObject root || KubeJson.AsLong(root["resourceVersion"]) is not { } rv)
        {
            return null;
        }
        var objects = (root["objects"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(e => e["object"] is JsonObject)
            .Select(e => (new ResourceRef(KubeJson.AsString(e["group"]) ?? "", KubeJson.AsString(e["resource"]) ?? ""), e["object"]!.AsObject().DeepClone().AsObject()))
            .ToList();
        return new StoreState(rv, objects);
    }
}

public sealed partial class ClusterStore
{
    internal StoreState CaptureState()
    {
        lock (_gate)
        {
            var objects = _objects
                .SelectMany(t => t.Value.Values.Select(o => (t.Key, KubeJson.CloneObject(o))))
                .ToList();
            return new StoreState(_resourceVersion, objects);
        }
    }

    /// <summary>
    /// Replaces the contents with a saved state (before anyone uses the store). The resourceVersion
    /// counter continues from the saved one; watches from before the restart get 410 Expired.
    /// </summary>
    internal void Restore(StoreState state)
    {
        lock (_gate)
        {
            _objects.Clear();
            _byUid.Clear();
            var crdsFirst = state.Objects.OrderBy(o => o.Resource == ResourceRef.CustomResourceDefinitions ? 0 : 1);
            foreach (var (resource, obj) in crdsFirst)
            {
                var name = new ObjectName(obj.Namespace(), obj.Name());
                Table(resource)[name] = KubeJson.CloneObject(obj);
                _byUid[obj.Uid()] = (resource, name);
                if (resource == ResourceRef.CustomResourceDefinitions)
                {
                    Registry.Register(obj);
                }
            }
            _resourceVersion = Math.Max(state.ResourceVersion, state.Objects.Select(o => long.TryParse(o.Object.ResourceVersion(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0).DefaultIfEmpty().Max());
            _watch.Reset(_resourceVersion);
        }
    }
}
