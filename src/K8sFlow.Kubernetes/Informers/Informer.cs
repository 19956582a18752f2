using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Kubernetes.Informers;

public sealed record InformerOptions
{
    /// <summary>Null watches all namespaces.</summary>
    public string? Namespace { get; init; }

    public string? LabelSelector { get; init; }
    public string? FieldSelector { get; init; }

    /// <summary>Every period each cached object is re-delivered as an update (old == new); null: never.</summary>
    public TimeSpan? ResyncPeriod { get; init; }

    /// <summary>LIST page size (limit/continue).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Each watch request asks the server to end after this long; the informer then watches again.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    /// <summary>Reconnect delay after a failure; doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Callbacks of an informer. They run one at a time on the informer's loop: keep them short (enqueue work).</summary>
public sealed record InformerHandler<T>(Action<T>? OnAdd = null, Action<T, T>? OnUpdate = null, Action<T>? OnDelete = null)
    where T : KubernetesObject;

/// <summary>
/// A cache of one kind kept current by LIST + WATCH: handlers for add/update/delete, secondary
/// indexes, periodic resync, re-list on 410 Gone (delivering the differences, never an event twice),
/// and reconnects with exponential backoff from the last seen resourceVersion.
/// <para>
/// Objects handed out are shared with the cache. They are records, but their lists and dictionaries
/// are mutable: never change them; copy with <see cref="KubeJson.DeepClone{T}"/> (or <c>with</c> for
/// top-level changes) first.
/// </para>
/// </summary>
public sealed class Informer<T> where T : KubernetesObject
{
    private readonly IKubeClient _client;
    private readonly InformerOptions _options;
    private readonly Func<T, T> _transform;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly Lock _cacheLock = new();
    private readonly Lock _dispatchLock = new();
    private readonly List<InformerHandler<T>> _handlers = [];
    private readonly Dictionary<string, Index> _indexes = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private volatile string? _resourceVersion;
    private int _started;

    /// <summary>
    /// An informer of <paramref name="kind"/>. <paramref name="transform"/>: what the cache keeps of each object (applied
    /// before it is stored and handed to handlers), so a controller can drop what it never reads, e.g. the specs of
    /// thousands of pods, and keep its memory proportional to what it uses.
    /// </summary>
    public Informer(IKubeClient client, ResourceKind<T> kind, InformerOptions? options = null, TimeProvider? timeProvider = null,
        ILogger? logger = null, Func<T, T>? transform = null)
    {
        _client = client;
        Kind = kind;
        _transform = transform ?? (obj => obj);
        _options = options ?? new InformerOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
    }

    public ResourceKind<T> Kind { get; }

    /// <summary>True once the first full LIST is in the cache and its adds were delivered.</summary>
    public bool HasSynced => _synced.Task.IsCompletedSuccessfully;

    /// <summary>The resourceVersion the next watch resumes from.</summary>
    public string? LastResourceVersion => _resourceVersion;

    /// <summary>The cache key: "namespace/name", or "name" for cluster-scoped objects.</summary>
    public static string KeyOf(string? @namespace, string name) => string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";

    public static string KeyOf(T obj) => KeyOf(obj.Metadata.Namespace, obj.Metadata.Name ?? "");

    /// <summary>An index function over one label's value, e.g. Jobs by <see cref="K8sFlowApi.Labels.DagRun"/>.</summary>
    public static Func<T, IEnumerable<string>> ByLabel(string labelKey) =>
        obj => obj.Metadata.Labels?.TryGetValue(labelKey, out var value) == true ? [value] : [];

    /// <summary>Adds a secondary index; call before <see cref="RunAsync"/>.</summary>
    public void AddIndex(string name, Func<T, IEnumerable<string>> keys)
    {
        lock (_cacheLock)
        {
            if (_started != 0)
            {
                throw new InvalidOperationException($"Index '{name}' must be added to the {Kind.Kind} informer before it runs.");
            }
            _indexes.Add(name, new Index(keys));
        }
    }

    /// <summary>Registers callbacks; a handler added after objects arrived first receives an add for each of them.</summary>
    public void AddHandler(InformerHandler<T> handler)
    {
        lock (_dispatchLock)
        {
            _handlers.Add(handler);
            foreach (var obj in List())
            {
                Invoke(handler, h => h.OnAdd?.Invoke(obj));
            }
        }
    }

    public T? Get(string? @namespace, string name)
    {
        lock (_cacheLock)
        {
            return _items.GetValueOrDefault(KeyOf(@namespace, name));
        }
    }

    public IReadOnlyList<T> List()
    {
        lock (_cacheLock)
        {
            return [.. _items.Values];
        }
    }

    /// <summary>Cached objects whose index function returned <paramref name="value"/>.</summary>
    public IReadOnlyList<T> ListByIndex(string indexName, string value)
    {
        lock (_cacheLock)
        {
            if (!_indexes.TryGetValue(indexName, out var index))
            {
                throw new ArgumentException($"The {Kind.Kind} informer has no index '{indexName}' (indexes: {string.Join(", ", _indexes.Keys)}).", nameof(indexName));
            }
            return index.Keys.TryGetValue(value, out var keys) ? [.. keys.Select(k => _items[k])] : [];
        }
    }

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Lists, then watches until cancelled. Failures are logged and retried; it returns only on cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"The {Kind.Kind} informer is already running.");
        }
        using var resyncTimer = _options.ResyncPeriod is { } period
            ? _time.CreateTimer(_ => Resync(), null, period, period)
            : null;
        var backoff = _options.MinBackoff;
        var needList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    await ListAndReplaceAsync(cancellationToken).ConfigureAwait(false);
                    needList = false;
                    backoff = _options.MinBackoff;
                }
                var (expired, sawEvents) = await WatchAsync(cancellationToken).ConfigureAwait(false);
                needList = expired;
                if (sawEvents || expired)
                {
                    backoff = _options.MinBackoff;
                    continue;
                }
                // A stream that ended without a single event: do not hammer the server.
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = Grow(backoff);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                _logger?.LogInformation("{Kind} informer: resourceVersion expired ({Message}); re-listing", Kind.Kind, e.ServerMessage);
                needList = true;
            }
            catch (Exception e)
            {
                _logger?.LogWarning(e, "{Kind} informer: {Operation} failed; retrying in {Backoff}", Kind.Kind, needList ? "list" : "watch", backoff);
                try
                {
                    await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                backoff = Grow(backoff);
            }
        }
    }

    private TimeSpan Grow(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));

    private async Task ListAndReplaceAsync(CancellationToken cancellationToken)
    {
        var list = await _client.ListAllAsync(Kind, _options.Namespace, new ListOptions
        {
            LabelSelector = _options.LabelSelector,
            FieldSelector = _options.FieldSelector,
            Limit = _options.PageSize,
        }, cancellationToken).ConfigureAwait(false);
        Replace([.. list.Items.Select(_transform)]);
        _resourceVersion = list.Metadata.ResourceVersion;
        _synced.TrySetResult();
    }

    private async Task<(bool Expired, bool SawEvents)> WatchAsync(CancellationToken cancellationToken)
    {
        var sawEvents = false;
        var options = new WatchOptions
        {
            ResourceVersion = _resourceVersion,
            AllowWatchBookmarks = true,
            TimeoutSeconds = _options.WatchTimeoutSeconds,
            LabelSelector = _options.LabelSelector,
            FieldSelector = _options.FieldSelector,
        };
        await foreach (var watchEvent in _client.WatchAsync(Kind, _options.Namespace, options, cancellationToken).ConfigureAwait(false))
        {
            sawEvents = true;
            switch (watchEvent.Type)
            {
                case WatchEventType.Added or WatchEventType.Modified when watchEvent.Object is { } obj:
                    Upsert(_transform(obj));
                    _resourceVersion = obj.Metadata.ResourceVersion ?? _resourceVersion;
                    break;
                case WatchEventType.Deleted when watchEvent.Object is { } obj:
                    Remove(_transform(obj));
                    _resourceVersion = obj.Metadata.ResourceVersion ?? _resourceVersion;
                    break;
                case WatchEventType.Bookmark:
                    _resourceVersion = watchEvent.Object?.Metadata.ResourceVersion ?? _resourceVersion;
                    break;
                case WatchEventType.Error when watchEvent.IsExpired:
                    _logger?.LogInformation("{Kind} informer: watch expired ({Message}); re-listing", Kind.Kind, watchEvent.Error?.Message);
                    return (true, sawEvents);
                case WatchEventType.Error:
                    throw new KubeApiException(watchEvent.Error!, "WATCH", Kind.CollectionPath(_options.Namespace));
            }
        }
        return (false, sawEvents);
    }

    /// <summary>
    /// Makes the cache equal to a fresh LIST and delivers the differences: adds for new objects,
    /// updates for changed resourceVersions, deletes (with the last known state) for vanished ones.
    /// </summary>
    private void Replace(IReadOnlyList<T> listed)
    {
        lock (_dispatchLock)
        {
            var notifications = new List<Action<InformerHandler<T>>>();
            lock (_cacheLock)
            {
                var previous = _items;
                var next = new Dictionary<string, T>(StringComparer.Ordinal);
                foreach (var obj in listed)
                {
                    var key = KeyOf(obj);
                    if (!previous.TryGetValue(key, out var old))
                    {
                        next[key] = obj;
                        notifications.Add(h => h.OnAdd?.Invoke(obj));
                    }
                    else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
                    {
                        next[key] = obj;
                        notifications.Add(h => h.OnUpdate?.Invoke(old, obj));
                    }
                    else
                    {
                        next[key] = old;
                    }
                }
                foreach (var (key, old) in previous)
                {
                    if (!next.ContainsKey(key))
                    {
                        notifications.Add(h => h.OnDelete?.Invoke(old));
                    }
                }
                _items = next;
                foreach (var index in _indexes.Values)
                {
                    index.Rebuild(next);
                }
            }
            Dispatch(notifications);
        }
    }

    private void Upsert(T obj)
    {
        lock (_dispatchLock)
        {
            T? old;
            var key = KeyOf(obj);
            lock (_cacheLock)
            {
                old = _items.GetValueOrDefault(key);
                _items[key] = obj;
                foreach (var index in _indexes.Values)
                {
                    index.Update(key, old, obj);
                }
            }
            Dispatch([old is null ? h => h.OnAdd?.Invoke(obj) : h => h.OnUpdate?.Invoke(old, obj)]);
        }
    }

    private void Remove(T obj)
    {
        lock (_dispatchLock)
        {
            var key = KeyOf(obj);
            lock (_cacheLock)
            {
                if (_items.Remove(key, out var old))
                {
                    foreach (var index in _indexes.Values)
                    {
                        index.Update(key, old, null);
                    }
                }
            }
            // DELETED carries the final state; deliver it even if the add was never seen.
            Dispatch([h => h.OnDelete?.Invoke(obj)]);
        }
    }

    private void Resync()
    {
        if (!HasSynced)
        {
            return;
        }
        lock (_dispatchLock)
        {
            Dispatch([.. List().Select<T, Action<InformerHandler<T>>>(obj => h => h.OnUpdate?.Invoke(obj, obj))]);
        }
    }

    private void Dispatch(IReadOnlyList<Action<InformerHandler<T>>> notifications)
    {
        foreach (var notification in notifications)
        {
            foreach (var handler in _handlers)
            {
                Invoke(handler, notification);
            }
        }
    }

    private void Invoke(InformerHandler<T> handler, Action<InformerHandler<T>> notification)
    {
        try
        {
            notification(handler);
        }
        catch (Exception e)
        {
            // A failing handler must not stop the informer or starve the other handlers.
            _logger?.LogError(e, "{Kind} informer: a handler threw", Kind.Kind);
        }
    }

    /// <summary>index value -> cache keys.</summary>
    private sealed class Index(Func<T, IEnumerable<string>> keysOf)
    {
        public Dictionary<string, HashSet<string>> Keys { get; } = new(StringComparer.Ordinal);

        public void Update(string key, T? old, T? current)
        {
            if (old is not null)
            {
                foreach (var value in keysOf(old))
                {
                    if (Keys.TryGetValue(value, out var set) && set.Remove(key) && set.Count == 0)
                    {
                        Keys.Remove(value);
                    }
                }
            }
            if (current is not null)
            {
                foreach (var value in keysOf(current))
                {
                    if (!Keys.TryGetValue(value, out var set))
                    {
                        Keys[value] = set = new HashSet<string>(StringComparer.Ordinal);
                    }
                    set.Add(key);
                }
            }
        }

        public void Rebuild(Dictionary<string, T> items)
        {
            Keys.Clear();
            foreach (var (key, obj) in items)
            {
                Update(key, null, obj);
            }
        }
    }
}
