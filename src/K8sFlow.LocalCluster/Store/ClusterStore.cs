using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Resources;

namespace K8sFlow.LocalCluster.Store;

/// <summary>The objects of a LIST page, the snapshot version they come from and how to get the next page.</summary>
public sealed record ObjectList(string ResourceVersion, IReadOnlyList<JsonObject> Items, string? Continue, long? RemainingItemCount);

/// <summary>What a DELETE did: <see cref="Removed"/> false means the object stays, marked for deletion (finalizers, grace).</summary>
public sealed record DeleteResult(bool Removed, JsonObject Object);

/// <summary>
/// The in-memory Kubernetes object store behind the local cluster: objects as JSON per
/// (resource, namespace, name), one global resourceVersion bumped on every write and delete,
/// one lock, watch fan-out with a bounded history, garbage collection by ownerReferences and
/// finalizers. This typed API has the same semantics as the HTTP API, so in-process components
/// (the local job runner) use it directly.
/// <para>
/// Objects passed in are copied; objects returned are copies the caller may change.
/// Namespaced resources need a namespace (or the object's metadata.namespace); cluster-scoped
/// ones ignore it.
/// </para>
/// </summary>
public sealed partial class ClusterStore : IDisposable
{
    /// <summary>The field manager recorded for in-process writes that name none.</summary>
    public const string DefaultFieldManager = "localcluster";

    private readonly Lock _gate = new();
    private readonly ClusterStoreOptions _options;
    private readonly Random _random;
    private readonly Dictionary<ResourceRef, SortedDictionary<ObjectName, JsonObject>> _objects = [];
    private readonly Dictionary<string, (ResourceRef Resource, ObjectName Name)> _byUid = new(StringComparer.Ordinal);
    private readonly WatchHub _watch;
    private readonly ListSnapshots _snapshots;
    private long _resourceVersion;

    public ClusterStore(ClusterStoreOptions? options = null)
    {
        _options = options ?? new ClusterStoreOptions();
        _random = _options.NameSeed is { } seed ? new Random(seed) : new Random();
        _watch = new WatchHub(_options.HistoryWindow);
        _snapshots = new ListSnapshots(_options.ContinueTokenLifetime);
        foreach (var ns in new[] { "default", "kube-system" })
        {
            Create(ResourceRef.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }).Unwrap();
        }
    }

    internal ResourceRegistry Registry { get; } = new();

    /// <summary>Raised (under the store lock: keep handlers short) after every committed change.</summary>
    internal event Action? Committed;

    /// <summary>Raised (under the store lock) when an object is gone for good, with its final state.</summary>
    internal event Action<ResourceRef, JsonObject>? Removed;

    public ClusterStoreOptions Options => _options;

    /// <summary>The latest resourceVersion: every write and delete increments it.</summary>
    public string ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    private DateTimeOffset Now => _options.Time.GetUtcNow();

    /// <summary>Completes every open watch (their readers see the end of the stream).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _watch.CompleteAll();
        }
    }

    private ApiStatus? Resolve(ResourceRef resource, out ResourceDefinition definition)
    {
        definition = Registry.Find(resource)!;
        return definition is null ? ApiStatus.NoSuchResource() : null;
    }

    /// <summary>The namespace an object lives in: the argument, else the object's, else none (refused for namespaced kinds).</summary>
    private static ApiStatus? ScopeNamespace(ResourceDefinition definition, string? requested, JsonObject? obj, out string ns)
    {
        ns = "";
        if (!definition.Namespaced)
        {
            return null;
        }
        ns = !string.IsNullOrEmpty(requested) ? requested : obj?.Namespace() ?? "";
        return ns.Length == 0 ? ApiStatus.BadRequest("an empty namespace may not be set when a resource name is provided") : null;
    }

    private SortedDictionary<ObjectName, JsonObject> Table(ResourceRef resource)
    {
        if (!_objects.TryGetValue(resource, out var table))
        {
            table = [];
            _objects[resource] = table;
        }
        return table;
    }

    private JsonObject? Find(ResourceRef resource, string ns, string name) =>
        _objects.TryGetValue(resource, out var table) && table.TryGetValue(new ObjectName(ns, name), out var obj) ? obj : null;

    private JsonObject? FindByUid(string uid) =>
        _byUid.TryGetValue(uid, out var at) ? Find(at.Resource, at.Name.Namespace, at.Name.Name) : null;

    private string NewUid()
    {
        var bytes = new byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    /// <summary>generateName suffix: 5 characters from the apiserver's alphabet (no vowels, no look-alikes).</summary>
    private string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, _random, (span, random) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[random.Next(alphabet.Length)];
            }
        });
    }

    /// <summary>Stores <paramref name="obj"/> (taking ownership) with the next resourceVersion and tells the watchers.</summary>
    private JsonObject Put(ResourceDefinition definition, JsonObject obj, WatchEventType type, JsonObject? previous)
    {
        var rv = ++_resourceVersion;
        obj.SetMeta("resourceVersion", rv.ToString(CultureInfo.InvariantCulture));
        var name = new ObjectName(obj.Namespace(), obj.Name());
        Table(definition.Ref)[name] = obj;
        _byUid[obj.Uid()] = (definition.Ref, name);
        _watch.Publish(new ChangeEvent(rv, definition.Ref, type, obj, previous));
        if (definition.Ref == ResourceRef.CustomResourceDefinitions)
        {
            Registry.Register(obj);
        }
        Committed?.Invoke();
        return obj;
    }

    /// <summary>
    /// Takes the object out for good: DELETED event with the final state, then what hangs on it (CRD
    /// instances, namespace contents, dependents, foreground owners waiting for it). Removing an
    /// object that is already gone (a cascade got there first) does nothing.
    /// </summary>
    private JsonObject Remove(ResourceDefinition definition, JsonObject existing)
    {
        var current = Find(definition.Ref, existing.Namespace(), existing.Name());
        if (current is null || current.Uid() != existing.Uid())
        {
            return KubeJson.CloneObject(existing);
        }
        var rv = ++_resourceVersion;
        var final = KubeJson.CloneObject(current);
        final.SetMeta("resourceVersion", rv.ToString(CultureInfo.InvariantCulture));
        Table(definition.Ref).Remove(new ObjectName(current.Namespace(), current.Name()));
        _byUid.Remove(current.Uid());
        _watch.Publish(new ChangeEvent(rv, definition.Ref, WatchEventType.Deleted, final, current));
        Committed?.Invoke();
        Removed?.Invoke(definition.Ref, final);
        if (definition.Ref == ResourceRef.CustomResourceDefinitions)
        {
            RemoveInstancesOf(final);
        }
        if (definition.Ref == ResourceRef.Namespaces)
        {
            RemoveNamespaceContents(final.Name());
        }
        CollectDependents(final);
        ReleaseForegroundOwners(final);
        return KubeJson.CloneObject(final);
    }

    private void RemoveInstancesOf(JsonObject crd)
    {
        var served = CustomResources.ToDefinition(crd);
        if (_objects.TryGetValue(served.Ref, out var table))
        {
            var custom = Registry.Find(served.Ref) ?? served;
            foreach (var instance in table.Values.ToList())
            {
                Remove(custom, instance);
            }
        }
        Registry.Unregister(crd);
    }

    private void RemoveNamespaceContents(string ns)
    {
        foreach (var definition in Registry.All.Where(d => d.Namespaced))
        {
            if (_objects.TryGetValue(definition.Ref, out var table))
            {
                foreach (var obj in table.Values.Where(o => o.Namespace() == ns).ToList())
                {
                    Remove(definition, obj);
                }
            }
        }
    }

    private WriteContext Context(WriteOptions options) => new(Now, options.Version, options.FieldValidation);

    /// <summary>Sort key of stored objects: namespace, then name (etcd key order).</summary>
    private readonly record struct ObjectName(string Namespace, string Name) : IComparable<ObjectName>
    {
        public int CompareTo(ObjectName other)
        {
            var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
            return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
        }
    }
}
