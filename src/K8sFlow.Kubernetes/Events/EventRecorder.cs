using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Kubernetes.Events;

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

public sealed record EventRecorderOptions
{
    /// <summary>source.component and reportingComponent, e.g. "k8sflow-operator".</summary>
    public required string Component { get; init; }

    /// <summary>reportingInstance and source.host, e.g. the pod name.</summary>
    public string? Instance { get; init; }

    /// <summary>Repeats are aggregated for at most this many distinct events (least recently used are forgotten).</summary>
    public int MaxCachedEvents { get; init; } = 4096;
}

/// <summary>Writes core/v1 Events about objects (what <c>kubectl describe</c> shows).</summary>
public interface IEventRecorder
{
    /// <summary>
    /// Records an event about <paramref name="regarding"/>. Returns the event written, or null when
    /// the API refused it (logged): events are best effort and never fail the caller.
    /// </summary>
    Task<Event?> RecordAsync(KubernetesObject regarding, string type, string reason, string message, string? action = null,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// <see cref="IEventRecorder"/> that aggregates repeats: the same (object, type, reason, message,
/// action) again PATCHes count and lastTimestamp of the existing Event instead of creating another.
/// </summary>
public sealed class EventRecorder : IEventRecorder
{
    private readonly IKubeClient _client;
    private readonly EventRecorderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<EventKey, LinkedListNode<CachedEvent>> _cache = [];
    private readonly LinkedList<CachedEvent> _recentlyUsed = new();
    private long _lastNanos;
    private int _cachedCount;

    public EventRecorder(IKubeClient client, EventRecorderOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        if (options.MaxCachedEvents < 1)
        {
            throw new ArgumentException($"MaxCachedEvents must be at least 1 (got {options.MaxCachedEvents}).", nameof(options));
        }
        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>Distinct events currently remembered for aggregation.</summary>
    public int CachedCount => Volatile.Read(ref _cachedCount);

    public async Task<Event?> RecordAsync(KubernetesObject regarding, string type, string reason, string message, string? action = null,
        CancellationToken cancellationToken = default)
    {
        var involved = new ObjectReference
        {
            ApiVersion = regarding.ApiVersion,
            Kind = regarding.Kind,
            Name = regarding.Metadata.Name,
            Namespace = regarding.Metadata.Namespace,
            Uid = regarding.Metadata.Uid,
        };
        var key = new EventKey(involved.ApiVersion, involved.Kind, involved.Namespace, involved.Name, involved.Uid, type, reason, message, action);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_cache.TryGetValue(key, out var node))
            {
                var repeated = await TryBumpAsync(node.Value, now, cancellationToken).ConfigureAwait(false);
                if (repeated is not null)
                {
                    Remember(key, node.Value with { Count = repeated.Count ?? node.Value.Count + 1 });
                    return repeated;
                }
            }
            var created = await TryCreateAsync(involved, type, reason, message, action, now, cancellationToken).ConfigureAwait(false);
            if (created is not null)
            {
                Remember(key, new CachedEvent(key, created.Metadata.Namespace!, created.Metadata.Name!, created.Count ?? 1));
            }
            return created;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Event?> TryBumpAsync(CachedEvent cached, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var patch = KubePatch.Merge(new JsonObject
        {
            ["count"] = cached.Count + 1,
            ["lastTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        });
        try
        {
            return await _client.PatchAsync(KubeKinds.Event, cached.Namespace, cached.Name, patch, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            // The server expired the event (events have a TTL): start a new one.
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger?.LogWarning(e, "Event {Namespace}/{Name} could not be updated; writing a new one", cached.Namespace, cached.Name);
            return null;
        }
    }

    private async Task<Event?> TryCreateAsync(ObjectReference involved, string type, string reason, string message, string? action,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var @namespace = string.IsNullOrEmpty(involved.Namespace) ? "default" : involved.Namespace;
        var recorded = new Event
        {
            Metadata = new ObjectMeta { Name = $"{involved.Name}.{UniqueNanos(now):x}", Namespace = @namespace },
            InvolvedObject = involved,
            Reason = reason,
            Message = message,
            Type = type,
            Action = action,
            Source = new EventSource { Component = _options.Component, Host = _options.Instance },
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
            ReportingComponent = _options.Component,
            ReportingInstance = _options.Instance,
        };
        try
        {
            return await _client.CreateAsync(KubeKinds.Event, recorded, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger?.LogWarning(e, "Event {Reason} about {Kind} {Namespace}/{Name} could not be recorded", reason, involved.Kind, @namespace, involved.Name);
            return null;
        }
    }

    /// <summary>Unix nanoseconds, strictly increasing so two events in the same tick get distinct names.</summary>
    private long UniqueNanos(DateTimeOffset now)
    {
        var nanos = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        _lastNanos = Math.Max(nanos, _lastNanos + 1);
        return _lastNanos;
    }

    private void Remember(EventKey key, CachedEvent cached)
    {
        if (_cache.Remove(key, out var existing))
        {
            _recentlyUsed.Remove(existing);
        }
        _cache[key] = _recentlyUsed.AddFirst(cached);
        while (_cache.Count > _options.MaxCachedEvents)
        {
            var oldest = _recentlyUsed.Last!;
            _recentlyUsed.RemoveLast();
            _cache.Remove(oldest.Value.Key);
        }
        Volatile.Write(ref _cachedCount, _cache.Count);
    }

    private sealed record EventKey(string? ApiVersion, string? Kind, string? Namespace, string? Name, string? Uid, string Type,
        string Reason, string Message, string? Action);

    private sealed record CachedEvent(EventKey Key, string Namespace, string Name, int Count);
}
