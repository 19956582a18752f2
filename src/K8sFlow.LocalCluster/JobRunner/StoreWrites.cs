using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>How the runner writes: optimistic concurrency with the resourceVersion it read, re-reading on 409.</summary>
internal static class StoreWrites
{
    private const int Attempts = 5;

    public static bool IsConflict(ApiStatus error) => error.Code == 409 && error.Reason == "Conflict";

    public static bool IsNotFound(ApiStatus error) => error.Code == 404;

    /// <summary>
    /// Read-modify-write: <paramref name="change"/> gets a private copy of the object (first
    /// <paramref name="known"/>, after a conflict the stored one) and returns what to write, or null when
    /// nothing needs writing. The write carries the copy's resourceVersion. Gives up when the object is gone
    /// or was replaced by another with the same name (uid differs).
    /// </summary>
    public static ApiResult<JsonObject>? Update(ClusterStore store, ResourceRef resource, string ns, string name, string uid,
        JsonObject? known, Func<JsonObject, JsonObject?> change, string fieldManager, bool status = false)
    {
        var current = known?.DeepClone().AsObject();
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (current is null)
            {
                var read = store.Get(resource, ns, name);
                if (!read.IsSuccess)
                {
                    return read;
                }
                current = read.Value;
            }
            if (current.Uid() != uid)
            {
                return ApiStatus.NotFound(resource, name);
            }
            if (change(current) is not { } desired)
            {
                return null;
            }
            var options = new WriteOptions { FieldManager = fieldManager };
            var written = status ? store.UpdateStatus(resource, ns, desired, options) : store.Update(resource, ns, desired, options);
            if (written.IsSuccess || !IsConflict(written.Error))
            {
                return written;
            }
            current = null;
        }
        return ApiStatus.Conflict(resource, name, $"gave up after {Attempts} conflicting writes");
    }
}
