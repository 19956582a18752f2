using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K8sFlow.Core.Api;
using K8sFlow.Core.Json;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.Tests.Fakes;

/// <summary>One API call as the fake saw it, for fault injection.</summary>
public sealed record FakeCall(string Verb, ResourceKind Kind, string? Namespace, string? Name);

/// <summary>
/// An in-memory API server behind <see cref="IKubeClient"/>, faithful where the operator relies on it: one global
/// resourceVersion, 409 Conflict on a stale resourceVersion, AlreadyExists, generateName, status subresources
/// (spec writes keep status and bump generation; status writes keep the rest), merge patches, label-selector
/// lists and watches replayed from a resourceVersion, and garbage collection of owned objects on delete.
/// Objects are stored as JSON, so callers never share instances with the store.
/// </summary>
public sealed class FakeKube : IKubeClient
{
    private static readonly HashSet<string> KindsWithStatus = ["Dag", "DagRun", "Job", "Pod", "PersistentVolumeClaim", "Namespace"];

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Kind, string Key), JsonObject> _objects = [];
    private readonly List<StoredEvent> _log = [];
    private readonly List<Watcher> _watchers = [];
    private readonly List<FakeCall> _writes = [];
    private readonly TimeProvider _time;
    private long _resourceVersion;
    private long _uids;

    public FakeKube(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    public string DefaultNamespace => TestObjects.Ns;

    /// <summary>Set on every change to the store.</summary>
    public Signal Changed { get; } = new();

    /// <summary>Called before every call; a returned exception is thrown instead of serving it.</summary>
    public Func<FakeCall, KubeApiException?>? Intercept { get; set; }

    /// <summary>Successful writes (create, replace, status, patch, delete), in order.</summary>
    public IReadOnlyList<FakeCall> Writes
    {
        get
        {
            lock (_lock)
            {
                return [.. _writes];
            }
        }
    }

    // ---- test helpers -------------------------------------------------------------------------------

    public T? Find<T>(ResourceKind<T> kind, string? @namespace, string name) where T : KubernetesObject
    {
        lock (_lock)
        {
            return _objects.TryGetValue((kind.Kind, Key(kind, @namespace, name)), out var stored) ? Read<T>(stored) : null;
        }
    }

    public IReadOnlyList<T> All<T>(ResourceKind<T> kind) where T : KubernetesObject
    {
        lock (_lock)
        {
            return [.. _objects.Where(o => o.Key.Kind == kind.Kind).Select(o => Read<T>(o.Value))];
        }
    }

    /// <summary>Stores <paramref name="obj"/> as a client would create it.</summary>
    public T Seed<T>(ResourceKind<T> kind, T obj) where T : KubernetesObject => CreateCore(kind, obj, keepStatus: true);

    // ---- IKubeClient --------------------------------------------------------------------------------

    public Task<T> GetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("get", kind, @namespace, name);
        return Task.FromResult(Find(kind, @namespace, name) ?? throw NotFound(kind, name));
    }

    public Task<T?> TryGetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("get", kind, @namespace, name);
        return Task.FromResult(Find(kind, @namespace, name));
    }

    public Task<KubeList<T>> ListAsync<T>(ResourceKind<T> kind, string? @namespace, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("list", kind, @namespace, null);
        var selector = LabelSelector.Parse(options?.LabelSelector);
        lock (_lock)
        {
            var items = _objects.Where(o => o.Key.Kind == kind.Kind)
                .Select(o => o.Value)
                .Where(o => InNamespace(o, @namespace) && selector.Matches(o))
                .Select(Read<T>)
                .ToList();
            return Task.FromResult(new KubeList<T>
            {
                Metadata = new ListMeta { ResourceVersion = Rv(_resourceVersion) },
                Items = items,
            });
        }
    }

    public Task<T> CreateAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("create", kind, obj.Metadata.Namespace, obj.Metadata.Name);
        return Task.FromResult(CreateCore(kind, obj, keepStatus: false));
    }

    public Task<T> ReplaceAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("replace", kind, obj.Metadata.Namespace, obj.Metadata.Name);
        return Task.FromResult(Update(kind, obj.Metadata.Namespace, obj.Metadata.Name!, obj.Metadata.ResourceVersion, "replace",
            current => MergeWrite(kind, current, Write(obj), statusOnly: false)));
    }

    public Task<T> ReplaceStatusAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("status", kind, obj.Metadata.Namespace, obj.Metadata.Name);
        return Task.FromResult(Update(kind, obj.Metadata.Namespace, obj.Metadata.Name!, obj.Metadata.ResourceVersion, "status",
            current => MergeWrite(kind, current, Write(obj), statusOnly: true)));
    }

    public Task<T> PatchAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("patch", kind, @namespace, name);
        return Task.FromResult(Update(kind, @namespace, name, null, "patch",
            current => MergeWrite(kind, current, Patched(current, patch), statusOnly: false)));
    }

    public Task<T> PatchStatusAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("status", kind, @namespace, name);
        return Task.FromResult(Update(kind, @namespace, name, null, "status",
            current => MergeWrite(kind, current, Patched(current, patch), statusOnly: true)));
    }

    public Task<T?> DeleteAsync<T>(ResourceKind<T> kind, string? @namespace, string name, DeleteOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("delete", kind, @namespace, name);
        lock (_lock)
        {
            if (!_objects.ContainsKey((kind.Kind, Key(kind, @namespace, name))))
            {
                throw NotFound(kind, name);
            }
            // Jobs default to orphaning their pods, as in Kubernetes; everything else cascades.
            var cascade = options?.PropagationPolicy is { } policy ? policy != PropagationPolicy.Orphan : kind.Kind != KubeKinds.Job.Kind;
            Remove(kind.Kind, Key(kind, @namespace, name), cascade);
            _writes.Add(new FakeCall("delete", kind, @namespace, name));
        }
        Changed.Set();
        return Task.FromResult<T?>(null);
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceKind<T> kind, string? @namespace, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        Check("watch", kind, @namespace, null);
        var selector = LabelSelector.Parse(options?.LabelSelector);
        var from = long.TryParse(options?.ResourceVersion, out var rv) ? rv : 0;
        var watcher = new Watcher(kind.Kind, @namespace, selector);
        lock (_lock)
        {
            foreach (var past in _log.Where(e => e.ResourceVersion > from))
            {
                watcher.Offer(past);
            }
            _watchers.Add(watcher);
        }
        try
        {
            await foreach (var stored in watcher.Events.Reader.ReadAllAsync(cancellationToken))
            {
                yield return new WatchEvent<T>(stored.Type, Read<T>(stored.Object));
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    public Task<Stream> GetPodLogAsync(string @namespace, string name, PodLogOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<Stream>(new MemoryStream());

    // ---- the store ----------------------------------------------------------------------------------

    private T CreateCore<T>(ResourceKind<T> kind, T obj, bool keepStatus) where T : KubernetesObject
    {
        JsonObject stored;
        lock (_lock)
        {
            stored = Write(obj);
            var meta = stored["metadata"]!.AsObject();
            var name = (string?)meta["name"];
            if (string.IsNullOrEmpty(name))
            {
                name = (string?)meta["generateName"] + (++_uids).ToString("x5", System.Globalization.CultureInfo.InvariantCulture);
                meta["name"] = name;
            }
            var ns = kind.Namespaced ? (string?)meta["namespace"] ?? DefaultNamespace : null;
            if (kind.Namespaced)
            {
                meta["namespace"] = ns;
            }
            var key = Key(kind, ns, name);
            if (_objects.ContainsKey((kind.Kind, key)))
            {
                throw new KubeApiException(new ApiStatus { Code = 409, Reason = "AlreadyExists", Message = $"{kind.Plural} \"{name}\" already exists" },
                    "POST", kind.CollectionPath(ns));
            }
            meta["uid"] = $"uid-{++_uids}";
            meta["creationTimestamp"] = JsonValue.Create(_time.GetUtcNow());
            meta["generation"] = 1L;
            meta.Remove("resourceVersion");
            if (!keepStatus && KindsWithStatus.Contains(kind.Kind))
            {
                stored.Remove("status");
            }
            Commit(kind.Kind, key, WatchEventType.Added, stored);
            _writes.Add(new FakeCall("create", kind, ns, name));
        }
        Changed.Set();
        return Read<T>(stored);
    }

    private T Update<T>(ResourceKind<T> kind, string? @namespace, string name, string? expectedVersion, string verb,
        Func<JsonObject, JsonObject> change)
        where T : KubernetesObject
    {
        JsonObject next;
        lock (_lock)
        {
            var key = Key(kind, @namespace, name);
            if (!_objects.TryGetValue((kind.Kind, key), out var current))
            {
                throw NotFound(kind, name);
            }
            if (!string.IsNullOrEmpty(expectedVersion) && expectedVersion != (string?)current["metadata"]!["resourceVersion"])
            {
                throw new KubeApiException(new ApiStatus
                {
                    Code = 409,
                    Reason = "Conflict",
                    Message = $"Operation cannot be fulfilled on {kind.Plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                }, "PUT", kind.ObjectPath(@namespace, name));
            }
            next = change((JsonObject)current.DeepClone());
            Commit(kind.Kind, key, WatchEventType.Modified, next);
            _writes.Add(new FakeCall(verb, kind, @namespace, name));
        }
        Changed.Set();
        return Read<T>(next);
    }

    /// <summary>A write through the main resource keeps status; one through /status keeps everything else.</summary>
    private static JsonObject MergeWrite(ResourceKind kind, JsonObject current, JsonObject written, bool statusOnly)
    {
        var hasStatus = KindsWithStatus.Contains(kind.Kind);
        JsonObject next;
        if (statusOnly)
        {
            next = (JsonObject)current.DeepClone();
            next["status"] = written["status"]?.DeepClone();
        }
        else
        {
            next = (JsonObject)written.DeepClone();
            next["metadata"] = MergeMetadata(current["metadata"]!.AsObject(), written["metadata"]?.AsObject());
            if (hasStatus)
            {
                next["status"] = current["status"]?.DeepClone();
            }
            var specChanged = !JsonNode.DeepEquals(current["spec"], next["spec"]);
            if (specChanged)
            {
                next["metadata"]!["generation"] = long.Parse(current["metadata"]!["generation"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) + 1;
            }
        }
        return next;
    }

    /// <summary>Server-owned metadata (uid, creation time, generation) survives client writes.</summary>
    private static JsonObject MergeMetadata(JsonObject current, JsonObject? written)
    {
        var next = (JsonObject)(written?.DeepClone() ?? new JsonObject());
        foreach (var owned in new[] { "uid", "creationTimestamp", "generation", "name", "namespace" })
        {
            next[owned] = current[owned]?.DeepClone();
        }
        return next;
    }

    private static JsonObject Patched(JsonObject current, KubePatch patch)
    {
        if (patch.Type != PatchType.Merge)
        {
            throw new NotSupportedException($"FakeKube serves merge patches only, not {patch.Type}.");
        }
        var result = JsonMergePatch.Apply(current, JsonNode.Parse(patch.Body))!.AsObject();
        result["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]?.DeepClone();
        return result;
    }

    private void Remove(string kind, string key, bool cascade)
    {
        if (!_objects.Remove((kind, key), out var removed))
        {
            return;
        }
        removed["metadata"]!["resourceVersion"] = Rv(++_resourceVersion);
        Publish(new StoredEvent(_resourceVersion, kind, WatchEventType.Deleted, removed));
        if (!cascade)
        {
            return;
        }
        var uid = (string?)removed["metadata"]!["uid"];
        var dependents = _objects
            .Where(o => o.Value["metadata"]!["ownerReferences"] is JsonArray owners && owners.Any(r => (string?)r!["uid"] == uid))
            .Select(o => o.Key)
            .ToList();
        foreach (var (dependentKind, dependentKey) in dependents)
        {
            Remove(dependentKind, dependentKey, cascade: true);
        }
    }

    private void Commit(string kind, string key, WatchEventType type, JsonObject obj)
    {
        obj["metadata"]!["resourceVersion"] = Rv(++_resourceVersion);
        _objects[(kind, key)] = obj;
        Publish(new StoredEvent(_resourceVersion, kind, type, (JsonObject)obj.DeepClone()));
    }

    private void Publish(StoredEvent stored)
    {
        _log.Add(stored);
        foreach (var watcher in _watchers)
        {
            watcher.Offer(stored);
        }
    }

    private void Check(string verb, ResourceKind kind, string? @namespace, string? name)
    {
        if (Intercept?.Invoke(new FakeCall(verb, kind, @namespace, name)) is { } error)
        {
            throw error;
        }
    }

    private static KubeApiException NotFound(ResourceKind kind, string name) =>
        new(new ApiStatus { Code = 404, Reason = "NotFound", Message = $"{kind.Plural} \"{name}\" not found" }, "GET", kind.Plural);

    private static string Key(ResourceKind kind, string? @namespace, string name) => kind.Namespaced ? $"{@namespace}/{name}" : name;

    private static bool InNamespace(JsonObject obj, string? @namespace) =>
        string.IsNullOrEmpty(@namespace) || (string?)obj["metadata"]!["namespace"] == @namespace;

    private static string Rv(long version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Write<T>(T obj) => JsonSerializer.SerializeToNode(obj, KubeJson.Options)!.AsObject();

    private static T Read<T>(JsonObject stored) => stored.Deserialize<T>(KubeJson.Options)!;

    private sealed record StoredEvent(long ResourceVersion, string Kind, WatchEventType Type, JsonObject Object);

    private sealed class Watcher(string kind, string? @namespace, LabelSelector selector)
    {
        public Channel<StoredEvent> Events { get; } = Channel.CreateUnbounded<StoredEvent>();

        public void Offer(StoredEvent stored)
        {
            if (stored.Kind == kind && InNamespace(stored.Object, @namespace) && selector.Matches(stored.Object))
            {
                Events.Writer.TryWrite(stored);
            }
        }
    }

    /// <summary>Equality (k=v) and existence (k) terms, comma-separated: what the operator's selectors use.</summary>
    private sealed record LabelSelector(IReadOnlyList<(string Key, string? Value)> Terms)
    {
        public static LabelSelector Parse(string? text) => new(string.IsNullOrEmpty(text)
            ? []
            : [.. text.Split(',').Select(term => term.Split('=', 2)).Select(parts => (parts[0].Trim(), parts.Length == 2 ? parts[1].Trim() : null))]);

        public bool Matches(JsonObject obj)
        {
            var labels = obj["metadata"]?["labels"] as JsonObject;
            return Terms.All(t => labels?[t.Key] is { } value && (t.Value is null || (string?)value == t.Value));
        }
    }
}
