using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Operator.Tests.DagController;

/// <summary>
/// An in-memory API server behind <see cref="IKubeClient"/>, faithful where controllers depend on it: one
/// global resourceVersion, AlreadyExists on create, 409 on a stale resourceVersion, <c>/status</c> as a
/// subresource (a spec write keeps the status, a status write keeps the spec, generation moves only when
/// the spec changes), LIST + WATCH from a resourceVersion. Writes can be made to fail once
/// (<see cref="FailNext"/>); every write is logged in <see cref="Requests"/>.
/// </summary>
internal sealed class InMemoryKubeApi(TimeProvider time) : IKubeClient
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly List<Change> _changes = [];
    private readonly List<Watcher> _watchers = [];
    private readonly List<string> _requests = [];
    private readonly List<(string Request, int Code, string Reason)> _faults = [];
    private readonly HashSet<string> _heldKinds = new(StringComparer.Ordinal);
    private readonly List<Change> _held = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _resourceVersion;
    private long _uids;

    public string DefaultNamespace => "default";

    /// <summary>Writes as "VERB resource[/subresource] namespace/name", e.g. "PUT dags/status default/etl".</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The next write whose description starts with <paramref name="request"/> fails with this code.</summary>
    public void FailNext(string request, int code, string reason)
    {
        lock (_lock)
        {
            _faults.Add((request, code, reason));
        }
    }

    /// <summary>
    /// Watches of <paramref name="kind"/> receive nothing until <see cref="ReleaseWatchEvents"/>: an informer
    /// cache that lags behind the API, as after a slow watch connection.
    /// </summary>
    public void HoldWatchEvents(ResourceKind kind)
    {
        lock (_lock)
        {
            _heldKinds.Add(kind.Plural);
        }
    }

    public void ReleaseWatchEvents(ResourceKind kind)
    {
        lock (_lock)
        {
            _heldKinds.Remove(kind.Plural);
            foreach (var change in _held.Where(c => c.Key.StartsWith(kind.Plural + "/", StringComparison.Ordinal)).ToList())
            {
                _held.Remove(change);
                Offer(change);
            }
        }
        Signal();
    }

    /// <summary>Completes once <paramref name="condition"/> holds; it is checked after every change.</summary>
    public async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestWait.Bound);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }
            if (condition())
            {
                return;
            }
            await changed.WaitAsync(timeout.Token);
        }
    }

    public bool Exists(ResourceKind kind, string @namespace, string name)
    {
        lock (_lock)
        {
            return _objects.ContainsKey(Key(kind, @namespace, name));
        }
    }

    /// <summary>Completes when every watch has handed all its events to its consumer and that consumer asked for the next one.</summary>
    public async Task WaitForWatchersAsync(int watchers)
    {
        using var timeout = new CancellationTokenSource(TestWait.Bound);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_watchers.Count >= watchers && _watchers.All(w => w.Pending == 0))
                {
                    return;
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(timeout.Token);
        }
    }

    public Task<T> GetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        lock (_lock)
        {
            return Task.FromResult(From<T>(Find(kind, @namespace, name, "GET")));
        }
    }

    public Task<T?> TryGetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        lock (_lock)
        {
            return Task.FromResult(_objects.TryGetValue(Key(kind, @namespace, name), out var found) ? From<T>(found) : null);
        }
    }

    public Task<KubeList<T>> ListAsync<T>(ResourceKind<T> kind, string? @namespace, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        lock (_lock)
        {
            var items = _objects.Where(o => InCollection(o.Key, kind, @namespace) && Selects(options?.LabelSelector, o.Value))
                .OrderBy(o => o.Key, StringComparer.Ordinal)
                .Select(o => From<T>(o.Value))
                .ToList();
            return Task.FromResult(new KubeList<T> { Metadata = new ListMeta { ResourceVersion = Version() }, Items = items });
        }
    }

    public Task<T> CreateAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        lock (_lock)
        {
            var @namespace = obj.Metadata.Namespace ?? DefaultNamespace;
            var name = obj.Metadata.Name ?? throw new ArgumentException("the fake needs metadata.name");
            Admit("POST", kind, @namespace, name);
            var key = Key(kind, @namespace, name);
            if (_objects.ContainsKey(key))
            {
                throw Error(409, "AlreadyExists", $"{kind.Plural} \"{name}\" already exists", "POST", kind, @namespace, name);
            }
            var json = ToJson(obj);
            json.Remove("status");
            var metadata = json["metadata"]!.AsObject();
            metadata["namespace"] = @namespace;
            metadata["uid"] = $"uid-{++_uids}";
            metadata["generation"] = 1;
            metadata["creationTimestamp"] = JsonSerializer.SerializeToNode(time.GetUtcNow(), KubeJson.Options);
            return Task.FromResult(From<T>(Store(key, json, WatchEventType.Added)));
        }
    }

    public Task<T> ReplaceAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        Update(kind, obj, "", (current, sent) =>
        {
            sent["status"] = current["status"]?.DeepClone();
            var metadata = sent["metadata"]!.AsObject();
            foreach (var field in new[] { "uid", "creationTimestamp", "generation" })
            {
                metadata[field] = current["metadata"]![field]?.DeepClone();
            }
            if (!JsonNode.DeepEquals(current["spec"], sent["spec"]))
            {
                metadata["generation"] = current["metadata"]!["generation"]!.Deserialize<long>() + 1;
            }
            return sent;
        });

    public Task<T> ReplaceStatusAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        Update(kind, obj, "/status", (current, sent) =>
        {
            var updated = (JsonObject)current.DeepClone();
            updated["status"] = sent["status"]?.DeepClone();
            return updated;
        });

    public Task<T?> DeleteAsync<T>(ResourceKind<T> kind, string? @namespace, string name, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        lock (_lock)
        {
            Admit("DELETE", kind, @namespace, name);
            var key = Key(kind, @namespace, name);
            var current = Find(kind, @namespace, name, "DELETE");
            _objects.Remove(key);
            var gone = (JsonObject)current.DeepClone();
            gone["metadata"]!["resourceVersion"] = (++_resourceVersion).ToString();
            Publish(new Change(key, _resourceVersion, WatchEventType.Deleted, gone));
            return Task.FromResult<T?>(null);
        }
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceKind<T> kind, string? @namespace, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var watcher = new Watcher(kind, @namespace, options?.LabelSelector);
        lock (_lock)
        {
            var from = long.TryParse(options?.ResourceVersion, out var version) ? version : 0;
            foreach (var change in _changes.Where(c => c.ResourceVersion > from))
            {
                watcher.Offer(change);
            }
            _watchers.Add(watcher);
        }
        Signal();
        try
        {
            while (true)
            {
                var change = await watcher.Events.Reader.ReadAsync(cancellationToken);
                yield return new WatchEvent<T>(change.Type, From<T>(change.Object));
                // The consumer asks for the next event only after handling this one.
                lock (_lock)
                {
                    watcher.Pending--;
                }
                Signal();
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(watcher);
            }
            Signal();
        }
    }

    public Task<T> PatchAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject => throw new NotSupportedException("the Dag controller does not patch");

    public Task<T> PatchStatusAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject => throw new NotSupportedException("the Dag controller does not patch");

    public Task<Stream> GetPodLogAsync(string @namespace, string name, PodLogOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("no pods here");

    private Task<T> Update<T>(ResourceKind<T> kind, T obj, string subresource, Func<JsonObject, JsonObject, JsonObject> merge)
        where T : KubernetesObject
    {
        lock (_lock)
        {
            var @namespace = obj.Metadata.Namespace ?? DefaultNamespace;
            var name = obj.Metadata.Name!;
            Admit("PUT", kind, @namespace, name, subresource);
            var current = Find(kind, @namespace, name, "PUT");
            var expected = obj.Metadata.ResourceVersion;
            if (!string.IsNullOrEmpty(expected) && expected != (string?)current["metadata"]!["resourceVersion"])
            {
                throw Error(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again",
                    "PUT", kind, @namespace, name);
            }
            var updated = merge(current, ToJson(obj));
            return Task.FromResult(From<T>(Store(Key(kind, @namespace, name), updated, WatchEventType.Modified)));
        }
    }

    /// <summary>Logs the write and throws the first matching fault.</summary>
    private void Admit(string verb, ResourceKind kind, string? @namespace, string name, string subresource = "")
    {
        var request = $"{verb} {kind.Plural}{subresource} {@namespace}/{name}";
        _requests.Add(request);
        var fault = _faults.FindIndex(f => request.StartsWith(f.Request, StringComparison.Ordinal));
        if (fault >= 0)
        {
            var (_, code, reason) = _faults[fault];
            _faults.RemoveAt(fault);
            throw Error(code, reason, $"injected {code} {reason}", verb, kind, @namespace, name);
        }
    }

    private JsonObject Find(ResourceKind kind, string? @namespace, string name, string verb) =>
        _objects.TryGetValue(Key(kind, @namespace, name), out var found)
            ? found
            : throw Error(404, "NotFound", $"{kind.Plural} \"{name}\" not found", verb, kind, @namespace, name);

    private JsonObject Store(string key, JsonObject json, WatchEventType type)
    {
        json["metadata"]!["resourceVersion"] = (++_resourceVersion).ToString();
        _objects[key] = json;
        Publish(new Change(key, _resourceVersion, type, (JsonObject)json.DeepClone()));
        return json;
    }

    private void Publish(Change change)
    {
        _changes.Add(change);
        if (_heldKinds.Contains(change.Key.Split('/')[0]))
        {
            _held.Add(change);
        }
        else
        {
            Offer(change);
        }
        Signal();
    }

    private void Offer(Change change)
    {
        foreach (var watcher in _watchers)
        {
            watcher.Offer(change);
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    private string Version() => _resourceVersion.ToString();

    private static string Key(ResourceKind kind, string? @namespace, string name) => $"{kind.Plural}/{@namespace}/{name}";

    private static bool InCollection(string key, ResourceKind kind, string? @namespace) =>
        key.StartsWith(string.IsNullOrEmpty(@namespace) ? $"{kind.Plural}/" : $"{kind.Plural}/{@namespace}/", StringComparison.Ordinal);

    /// <summary>Equality selectors only ("a=b,c=d"): all the controllers here use.</summary>
    private static bool Selects(string? selector, JsonObject obj) =>
        string.IsNullOrEmpty(selector) || selector.Split(',').All(term =>
        {
            var parts = term.Split('=', 2);
            return (string?)obj["metadata"]?["labels"]?[parts[0]] == parts[1];
        });

    private static JsonObject ToJson<T>(T obj) => JsonSerializer.SerializeToNode(obj, KubeJson.Options)!.AsObject();

    private static T From<T>(JsonObject json) => json.Deserialize<T>(KubeJson.Options)!;

    private static KubeApiException Error(int code, string reason, string message, string verb, ResourceKind kind, string? @namespace,
        string name) =>
        new(new ApiStatus { Status = "Failure", Code = code, Reason = reason, Message = message }, verb, kind.ObjectPath(@namespace, name));

    private sealed record Change(string Key, long ResourceVersion, WatchEventType Type, JsonObject Object);

    private sealed class Watcher(ResourceKind kind, string? @namespace, string? selector)
    {
        public Channel<Change> Events { get; } = Channel.CreateUnbounded<Change>();

        /// <summary>Events offered but not yet handled by the consumer (guarded by the store's lock).</summary>
        public int Pending { get; set; }

        public void Offer(Change change)
        {
            if (InCollection(change.Key, kind, @namespace) && Selects(selector, change.Object))
            {
                Pending++;
                Events.Writer.TryWrite(change);
            }
        }
    }
}
