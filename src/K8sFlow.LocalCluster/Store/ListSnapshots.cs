using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Store;

/// <summary>
/// Keeps the item list behind each continue token so every page of a paged LIST comes from the
/// first page's snapshot. Snapshots expire (like etcd compaction) and then the token gets 410.
/// Used only under the store's lock; the items are stored objects, which are never mutated.
/// </summary>
internal sealed class ListSnapshots(TimeSpan lifetime, int capacity = 64)
{
    private readonly Dictionary<string, Snapshot> _byId = new(StringComparer.Ordinal);
    private long _nextId;

    internal sealed record Snapshot(string Id, long ResourceVersion, ResourceRef Resource, IReadOnlyList<JsonObject> Items, DateTimeOffset ExpiresAt);

    /// <summary>A decoded continue token: which snapshot, and where the next page starts.</summary>
    internal sealed record Token(string Id, long ResourceVersion, int Offset);

    public Snapshot Save(long resourceVersion, ResourceRef resource, IReadOnlyList<JsonObject> items, DateTimeOffset now)
    {
        foreach (var expired in _byId.Values.Where(s => s.ExpiresAt <= now).ToList())
        {
            _byId.Remove(expired.Id);
        }
        while (_byId.Count >= capacity)
        {
            _byId.Remove(_byId.Values.MinBy(s => s.ExpiresAt)!.Id);
        }
        var snapshot = new Snapshot((++_nextId).ToString(), resourceVersion, resource, items, now + lifetime);
        _byId[snapshot.Id] = snapshot;
        return snapshot;
    }

    public Snapshot? Find(string id, DateTimeOffset now) =>
        _byId.TryGetValue(id, out var snapshot) && snapshot.ExpiresAt > now ? snapshot : null;

    public static string Encode(Token token)
    {
        var json = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = token.ResourceVersion, ["id"] = token.Id, ["start"] = token.Offset };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(KubeJson.Serialize(json))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static Token? Decode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var length))
        {
            return null;
        }
        var json = KubeJson.TryParse(Encoding.UTF8.GetString(bytes, 0, length), out _) as JsonObject;
        return json is not null && KubeJson.AsString(json["id"]) is { } id && KubeJson.AsLong(json["rv"]) is { } rv && KubeJson.AsLong(json["start"]) is { } start
            ? new Token(id, rv, (int)start)
            : null;
    }
}
