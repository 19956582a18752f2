using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Store;

public sealed partial class ClusterStore
{
    public ApiResult<JsonObject> Get(ResourceRef resource, string? ns, string name)
    {
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            if (ScopeNamespace(definition, ns, null, out var scope) is { } bad)
            {
                return bad;
            }
            return Find(resource, scope, name) is { } obj
                ? ApiResult<JsonObject>.Ok(KubeJson.CloneObject(obj))
                : ApiStatus.NotFound(resource, name);
        }
    }

    /// <summary>
    /// Lists objects, sorted by namespace and name. <paramref name="ns"/> null or "" lists all namespaces.
    /// With a limit, later pages (by continue token) come from the first page's snapshot; an expired token is 410.
    /// </summary>
    public ApiResult<ObjectList> List(ResourceRef resource, string? ns = null, ListOptions? options = null)
    {
        options ??= new ListOptions();
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            var filterResult = ObjectFilter.Create(definition, definition.Namespaced ? ns : null, options.LabelSelector, options.FieldSelector);
            if (!filterResult.IsSuccess)
            {
                return filterResult.Error;
            }
            IReadOnlyList<JsonObject> items;
            long snapshotVersion;
            int offset;
            string? snapshotId = null;
            if (!string.IsNullOrEmpty(options.Continue))
            {
                var token = ListSnapshots.Decode(options.Continue);
                if (token is null)
                {
                    return ApiStatus.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
                }
                var snapshot = _snapshots.Find(token.Id, Now);
                if (snapshot is null || snapshot.Resource != resource)
                {
                    return ApiStatus.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
                }
                (items, snapshotVersion, offset, snapshotId) = (snapshot.Items, snapshot.ResourceVersion, token.Offset, snapshot.Id);
            }
            else
            {
                var filter = filterResult.Value;
                items = _objects.TryGetValue(resource, out var table) ? table.Values.Where(filter.Matches).ToList() : [];
                (snapshotVersion, offset) = (_resourceVersion, 0);
            }
            var limit = options.Limit is > 0 ? options.Limit.Value : int.MaxValue;
            var page = items.Skip(offset).Take(limit).Select(KubeJson.CloneObject).ToList();
            var next = offset + page.Count;
            string? continueToken = null;
            long? remaining = null;
            if (next < items.Count)
            {
                snapshotId ??= _snapshots.Save(snapshotVersion, resource, items, Now).Id;
                continueToken = ListSnapshots.Encode(new ListSnapshots.Token(snapshotId, snapshotVersion, next));
                remaining = filterResult.Value.HasSelectors ? null : items.Count - next;
            }
            return ApiResult<ObjectList>.Ok(new ObjectList(snapshotVersion.ToString(CultureInfo.InvariantCulture), page, continueToken, remaining));
        }
    }

    /// <summary>
    /// Watches a resource (all namespaces when <paramref name="ns"/> is null). ResourceVersion unset or "0"
    /// starts with ADDED events for the current objects; "N" replays the changes after N, or sends a single
    /// ERROR (410 Expired) when N left the history window. Dispose the subscription to stop.
    /// </summary>
    public ApiResult<WatchSubscription> Watch(ResourceRef resource, string? ns = null, WatchOptions? options = null)
    {
        options ??= new WatchOptions();
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            var filterResult = ObjectFilter.Create(definition, definition.Namespaced ? ns : null, options.LabelSelector, options.FieldSelector);
            if (!filterResult.IsSuccess)
            {
                return filterResult.Error;
            }
            var filter = filterResult.Value;
            if (string.IsNullOrEmpty(options.ResourceVersion) || options.ResourceVersion == "0")
            {
                var current = _objects.TryGetValue(resource, out var table) ? table.Values.Where(filter.Matches).ToList() : [];
                var subscription = new WatchSubscription(this, filter, _options.WatchBufferSize + current.Count, options.SharedObjects);
                foreach (var obj in current)
                {
                    subscription.Write(new WatchEvent(WatchEventType.Added, KubeJson.CloneObject(obj)));
                }
                _watch.Add(subscription);
                return ApiResult<WatchSubscription>.Ok(subscription);
            }
            if (!long.TryParse(options.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
            {
                return ApiStatus.BadRequest($"invalid resource version \"{options.ResourceVersion}\"");
            }
            var changes = _watch.Since(from);
            if (changes is null)
            {
                var expired = new WatchSubscription(this, filter, 1);
                expired.Write(new WatchEvent(WatchEventType.Error,
                    ApiStatus.Expired($"too old resource version: {from} ({_watch.Floor})").ToJson()));
                expired.Complete();
                return ApiResult<WatchSubscription>.Ok(expired);
            }
            var resumed = new WatchSubscription(this, filter, _options.WatchBufferSize + changes.Count, options.SharedObjects);
            foreach (var change in changes)
            {
                resumed.Offer(change);
            }
            _watch.Add(resumed);
            return ApiResult<WatchSubscription>.Ok(resumed);
        }
    }

    internal void EmitBookmark(WatchSubscription subscription)
    {
        lock (_gate)
        {
            var definition = subscription.Filter.Definition;
            subscription.Write(new WatchEvent(WatchEventType.Bookmark, new JsonObject
            {
                ["kind"] = definition.Kind,
                ["apiVersion"] = definition.ApiVersion(definition.StorageVersion.Name),
                ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture) },
            }));
        }
    }

    internal void Unsubscribe(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _watch.Remove(subscription);
            subscription.Complete();
        }
    }

    /// <summary>
    /// Cuts every open watch as a network failure would: readers stop at once (events still queued
    /// are not delivered) and the HTTP API aborts their connections. Fault injection for tests of
    /// clients that must resume from the last resourceVersion they saw; new watches work as before.
    /// </summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            _watch.DropAll();
        }
    }

    /// <summary>Number of open watches (diagnostics and tests).</summary>
    public int WatchCount
    {
        get
        {
            lock (_gate)
            {
                return _watch.SubscriberCount;
            }
        }
    }
}
