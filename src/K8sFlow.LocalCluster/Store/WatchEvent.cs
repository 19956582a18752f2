using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Store;

public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

/// <summary>
/// One watch event. DELETED carries the object's final state; BOOKMARK only kind, apiVersion and
/// metadata.resourceVersion; ERROR a Status (410 Expired when the requested version is too old).
/// </summary>
public sealed record WatchEvent(WatchEventType Type, JsonObject Object)
{
    /// <summary>The wire name: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
    public string TypeName => Type.ToString().ToUpperInvariant();
}

/// <summary>A committed change, kept in the history window for watches that resume.</summary>
internal sealed record ChangeEvent(long ResourceVersion, ResourceRef Resource, WatchEventType Type, JsonObject Object, JsonObject? Previous)
{
    private JsonObject? _shared;

    /// <summary>One copy of <see cref="Object"/> for every watcher that only reads (made on first use, under the store's lock).</summary>
    public JsonObject SharedCopy() => _shared ??= KubeJson.CloneObject(Object);

    public void ReleaseSharedCopy() => _shared = null;
}
