using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>What an informer tells its owner: the full set of objects (start, re-list) or one change.</summary>
internal abstract record InformerMessage(ResourceRef Resource);

/// <summary>The complete current set: objects missing from it are gone.</summary>
internal sealed record InformerReset(ResourceRef Resource, IReadOnlyList<JsonObject> Objects) : InformerMessage(Resource);

/// <summary>One ADDED, MODIFIED or DELETED event.</summary>
internal sealed record InformerChange(ResourceRef Resource, WatchEventType Type, JsonObject Object) : InformerMessage(Resource);

/// <summary>
/// List + watch of one resource on the in-process store, forwarded to a callback in order. A watch
/// that falls behind resumes from the last version seen; one that expired (410) lists again. Ends
/// when cancelled or when the store shuts down.
/// </summary>
internal static class StoreInformer
{
    public static Task RunAsync(ClusterStore store, ResourceRef resource, Action<InformerMessage> deliver, CancellationToken cancellationToken) =>
        Task.Run(async () =>
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var list = store.List(resource).Unwrap();
                    deliver(new InformerReset(resource, list.Items));
                    if (!await WatchFromAsync(store, resource, list.ResourceVersion, deliver, cancellationToken))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping.
            }
        }, CancellationToken.None);

    /// <summary>Watches until the stream expires (true: list again) or the store/caller stops (false).</summary>
    private static async Task<bool> WatchFromAsync(ClusterStore store, ResourceRef resource, string version, Action<InformerMessage> deliver, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var watch = store.Watch(resource, null, new WatchOptions { ResourceVersion = version }).Unwrap();
            await foreach (var change in watch.ReadAllAsync(cancellationToken))
            {
                if (change.Type == WatchEventType.Error)
                {
                    return true;
                }
                if (change.Type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                {
                    version = change.Object.ResourceVersion();
                    deliver(new InformerChange(resource, change.Type, change.Object));
                }
            }
            if (!watch.Overflowed)
            {
                return false;
            }
        }
    }
}

/// <summary>Namespace and name of an object: the key of the runner's caches.</summary>
internal readonly record struct ObjectKey(string Namespace, string Name)
{
    public static ObjectKey Of(JsonObject obj) => new(obj.Namespace(), obj.Name());

    public override string ToString() => $"{Namespace}/{Name}";
}
