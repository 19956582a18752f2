using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Resources;

namespace K8sFlow.LocalCluster.Store;

public sealed partial class ClusterStore
{
    /// <summary>The finalizer that holds an owner deleted with propagationPolicy Foreground.</summary>
    public const string ForegroundDeletionFinalizer = "foregroundDeletion";

    /// <summary>
    /// Deletes an object. Without finalizers (and not Foreground) it is removed at once
    /// (<see cref="DeleteResult.Removed"/>); otherwise it gets a deletionTimestamp and is removed when an
    /// update empties its finalizers. Dependents (ownerReferences) follow the propagation policy;
    /// batch/v1 Jobs default to Orphan as on a real cluster.
    /// </summary>
    public ApiResult<DeleteResult> Delete(ResourceRef resource, string? ns, string name, DeleteOptions? options = null)
    {
        options ??= new DeleteOptions();
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
            return Find(resource, scope, name) is { } existing
                ? DeleteLocked(definition, existing, options)
                : ApiStatus.NotFound(resource, name);
        }
    }

    /// <summary>Deletes every object a LIST with these options would return (DELETE on a collection).</summary>
    public ApiResult<IReadOnlyList<DeleteResult>> DeleteCollection(ResourceRef resource, string? ns, ListOptions? listOptions = null, DeleteOptions? options = null)
    {
        lock (_gate)
        {
            var listed = List(resource, ns, (listOptions ?? new ListOptions()) with { Limit = null, Continue = null });
            if (!listed.IsSuccess)
            {
                return listed.Error;
            }
            var results = new List<DeleteResult>();
            foreach (var item in listed.Value.Items)
            {
                var deleted = Delete(resource, item.Namespace(), item.Name(), options);
                if (deleted.IsSuccess)
                {
                    results.Add(deleted.Value);
                }
            }
            return ApiResult<IReadOnlyList<DeleteResult>>.Ok(results);
        }
    }

    private ApiResult<DeleteResult> DeleteLocked(ResourceDefinition definition, JsonObject existing, DeleteOptions options)
    {
        if (options.PreconditionUid is { Length: > 0 } uid && uid != existing.Uid())
        {
            return ApiStatus.Conflict(definition.Ref, existing.Name(), $"Precondition failed: UID in precondition: {uid}, UID in object meta: {existing.Uid()}");
        }
        if (options.PreconditionResourceVersion is { Length: > 0 } rv && rv != existing.ResourceVersion())
        {
            return ApiStatus.Conflict(definition.Ref, existing.Name(),
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {existing.ResourceVersion()}");
        }
        var policy = options.PropagationPolicy ?? definition.DefaultPropagation;
        var finalizers = existing.Finalizers();
        if (options.DryRun)
        {
            return ApiResult<DeleteResult>.Ok(new DeleteResult(finalizers.Count == 0 && policy != PropagationPolicy.Foreground, KubeJson.CloneObject(existing)));
        }
        if (GracefulPodDeletion(definition, existing, options) is { } terminating)
        {
            return ApiResult<DeleteResult>.Ok(new DeleteResult(false, terminating));
        }
        if (policy == PropagationPolicy.Orphan)
        {
            OrphanDependents(existing.Uid());
        }
        if (policy == PropagationPolicy.Foreground && !finalizers.Contains(ForegroundDeletionFinalizer))
        {
            finalizers.Add(ForegroundDeletionFinalizer);
        }
        if (finalizers.Count == 0)
        {
            return ApiResult<DeleteResult>.Ok(new DeleteResult(true, Remove(definition, existing)));
        }
        if (existing.IsDeleting() && finalizers.SequenceEqual(existing.Finalizers()))
        {
            return ApiResult<DeleteResult>.Ok(new DeleteResult(false, KubeJson.CloneObject(existing)));
        }
        var marked = KubeJson.CloneObject(existing);
        if (!marked.IsDeleting())
        {
            marked.SetMeta("deletionTimestamp", KubeJson.Time(Now));
            marked.SetMeta("deletionGracePeriodSeconds", 0);
        }
        marked.SetFinalizers(finalizers);
        var stored = Put(definition, marked, WatchEventType.Modified, existing);
        var response = KubeJson.CloneObject(stored);
        if (policy == PropagationPolicy.Foreground)
        {
            foreach (var (dependentDefinition, dependent) in DependentsOf(stored.Uid()))
            {
                DeleteLocked(dependentDefinition, dependent, new DeleteOptions { PropagationPolicy = PropagationPolicy.Background });
            }
            if (FindByUid(stored.Uid()) is { } owner)
            {
                ReleaseForegroundOwner(definition, owner);
            }
        }
        return ApiResult<DeleteResult>.Ok(new DeleteResult(false, response));
    }

    /// <summary>
    /// With a kubelet stand-in attached, a pod deleted with a grace period is only marked Terminating;
    /// the kubelet deletes it again with grace 0 once its containers stopped. Null: delete now.
    /// </summary>
    private JsonObject? GracefulPodDeletion(ResourceDefinition definition, JsonObject existing, DeleteOptions options)
    {
        if (!_options.GracefulPodDeletion || definition.Ref != ResourceRef.Pods)
        {
            return null;
        }
        var grace = options.GracePeriodSeconds ?? KubeJson.AsLong(existing["spec"]?["terminationGracePeriodSeconds"]) ?? 30;
        if (grace <= 0)
        {
            return null;
        }
        if (existing.IsDeleting())
        {
            return KubeJson.CloneObject(existing);
        }
        var marked = KubeJson.CloneObject(existing);
        marked.SetMeta("deletionTimestamp", KubeJson.Time(Now.AddSeconds(grace)));
        marked.SetMeta("deletionGracePeriodSeconds", grace);
        return KubeJson.CloneObject(Put(definition, marked, WatchEventType.Modified, existing));
    }

    private List<(ResourceDefinition Definition, JsonObject Object)> DependentsOf(string ownerUid)
    {
        var dependents = new List<(ResourceDefinition, JsonObject)>();
        foreach (var (resource, table) in _objects)
        {
            if (Registry.Find(resource) is not { } definition)
            {
                continue;
            }
            dependents.AddRange(table.Values
                .Where(o => o.OwnerReferences().Any(r => KubeJson.AsString(r["uid"]) == ownerUid))
                .Select(o => (definition, o)));
        }
        return dependents;
    }

    /// <summary>Orphan: dependents lose their ownerReference to the owner.</summary>
    private void OrphanDependents(string ownerUid)
    {
        foreach (var (definition, dependent) in DependentsOf(ownerUid))
        {
            Put(definition, WithoutOwner(dependent, ownerUid), WatchEventType.Modified, dependent);
        }
    }

    /// <summary>
    /// After an owner is gone its dependents are deleted (Background) unless another owner still exists,
    /// in which case only the dangling reference goes.
    /// </summary>
    private void CollectDependents(JsonObject removedOwner)
    {
        var ownerUid = removedOwner.Uid();
        foreach (var (definition, dependent) in DependentsOf(ownerUid))
        {
            var current = Find(definition.Ref, dependent.Namespace(), dependent.Name());
            if (current is null)
            {
                continue;
            }
            var otherOwners = current.OwnerReferences()
                .Select(r => KubeJson.AsString(r["uid"]) ?? "")
                .Where(uid => uid != ownerUid && FindByUid(uid) is not null);
            if (otherOwners.Any())
            {
                Put(definition, WithoutOwner(current, ownerUid), WatchEventType.Modified, current);
            }
            else
            {
                DeleteLocked(definition, current, new DeleteOptions { PropagationPolicy = PropagationPolicy.Background });
            }
        }
    }

    /// <summary>A removed dependent may be the last thing a foreground-deleting owner waited for.</summary>
    private void ReleaseForegroundOwners(JsonObject removedDependent)
    {
        foreach (var reference in removedDependent.OwnerReferences().ToList())
        {
            if (KubeJson.AsString(reference["uid"]) is { } uid && FindByUid(uid) is { } owner && _byUid.TryGetValue(uid, out var at)
                && Registry.Find(at.Resource) is { } definition)
            {
                ReleaseForegroundOwner(definition, owner);
            }
        }
    }

    private void ReleaseForegroundOwner(ResourceDefinition definition, JsonObject owner)
    {
        if (!owner.IsDeleting() || !owner.Finalizers().Contains(ForegroundDeletionFinalizer))
        {
            return;
        }
        var blocked = DependentsOf(owner.Uid()).Any(d => d.Object.OwnerReferences()
            .Any(r => KubeJson.AsString(r["uid"]) == owner.Uid() && KubeJson.AsBool(r["blockOwnerDeletion"]) == true));
        if (blocked)
        {
            return;
        }
        var remaining = owner.Finalizers().Where(f => f != ForegroundDeletionFinalizer).ToList();
        if (remaining.Count == 0)
        {
            Remove(definition, owner);
            return;
        }
        var released = KubeJson.CloneObject(owner);
        released.SetFinalizers(remaining);
        Put(definition, released, WatchEventType.Modified, owner);
    }

    private static JsonObject WithoutOwner(JsonObject dependent, string ownerUid)
    {
        var copy = KubeJson.CloneObject(dependent);
        var kept = copy.OwnerReferences().Where(r => KubeJson.AsString(r["uid"]) != ownerUid).Select(r => (JsonNode)r.DeepClone()).ToArray();
        copy.SetMeta("ownerReferences", kept.Length == 0 ? null : new JsonArray(kept));
        return copy;
    }
}
