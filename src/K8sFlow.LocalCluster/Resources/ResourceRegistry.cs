using System.Collections.Immutable;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.Resources;

/// <summary>
/// The resources being served: the built-ins plus one per established CRD. Readers (discovery,
/// OpenAPI, routing) see an immutable snapshot; the store swaps it when a CRD changes.
/// </summary>
internal sealed class ResourceRegistry
{
    private ImmutableDictionary<ResourceRef, ResourceDefinition> _custom = ImmutableDictionary<ResourceRef, ResourceDefinition>.Empty;

    public IReadOnlyList<ResourceDefinition> All =>
        [.. BuiltInResources.All, .. Volatile.Read(ref _custom).Values.OrderBy(d => d.Group, StringComparer.Ordinal).ThenBy(d => d.Plural, StringComparer.Ordinal)];

    public ResourceDefinition? Find(ResourceRef resource) =>
        BuiltInResources.All.FirstOrDefault(d => d.Ref == resource) ?? Volatile.Read(ref _custom).GetValueOrDefault(resource);

    /// <summary>The resource served at /apis/{group}/{version}/{plural}, if that version is served.</summary>
    public ResourceDefinition? Find(string group, string version, string plural) =>
        Find(new ResourceRef(group, plural)) is { } definition && definition.Version(version) is not null ? definition : null;

    /// <summary>Groups in discovery order with their served versions (preferred first).</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups() =>
        All.GroupBy(d => d.Group)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.SelectMany(d => d.Versions.OrderByDescending(v => v.Storage).Select(v => v.Name)).Distinct().ToList()))
            .ToList();

    /// <summary>Serves (or re-serves) the resource a CRD defines.</summary>
    public void Register(JsonObject crd)
    {
        var definition = CustomResources.ToDefinition(crd);
        if (definition.Plural.Length == 0 || definition.Versions.Count == 0)
        {
            return;
        }
        ImmutableInterlocked.Update(ref _custom, map => map.SetItem(definition.Ref, definition));
    }

    /// <summary>Stops serving the resource of a deleted CRD.</summary>
    public void Unregister(JsonObject crd)
    {
        var resource = new ResourceRef(KubeJson.AsString(crd["spec"]?["group"]) ?? "", KubeJson.AsString(crd["spec"]?["names"]?["plural"]) ?? "");
        ImmutableInterlocked.Update(ref _custom, map => map.Remove(resource));
    }
}
