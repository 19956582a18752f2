using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes;

/// <summary>
/// The Kubernetes API as K8sFlow uses it: typed CRUD, patches, status writes, watches. Errors are
/// <see cref="KubeApiException"/>. The interface is small so a maintained client library can stand in.
/// A null namespace means the all-namespaces path for list/watch and is ignored for cluster-scoped kinds.
/// </summary>
public interface IKubeClient
{
    /// <summary>The namespace of the kubeconfig context (or the pod's, in-cluster).</summary>
    string DefaultNamespace { get; }

    Task<T> GetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>Like <see cref="GetAsync{T}"/> but null when the object does not exist.</summary>
    Task<T?> TryGetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>One page (all items when <see cref="ListOptions.Limit"/> is unset).</summary>
    Task<KubeList<T>> ListAsync<T>(ResourceKind<T> kind, string? @namespace, ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>POST to the collection of <c>obj.Metadata.Namespace</c>.</summary>
    Task<T> CreateAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>PUT; a non-empty <c>metadata.resourceVersion</c> makes it conditional (stale -> 409 Conflict).</summary>
    Task<T> ReplaceAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>PUT on <c>/status</c>: only <c>.status</c> is taken from the object.</summary>
    Task<T> ReplaceStatusAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    Task<T> PatchAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>PATCH on <c>/status</c>.</summary>
    Task<T> PatchStatusAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>
    /// The object when it still exists (finalizers pending: it now has a deletionTimestamp), or
    /// null when the server deleted it at once. Jobs need <see cref="DeleteOptions.Background"/>.
    /// </summary>
    Task<T?> DeleteAsync<T>(ResourceKind<T> kind, string? @namespace, string name, DeleteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>
    /// The events of one watch request, until the server closes the stream or the token is
    /// cancelled. An ERROR event (e.g. 410 Expired, <see cref="WatchEvent{T}.IsExpired"/>) is yielded
    /// as such; the caller re-lists.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceKind<T> kind, string? @namespace, WatchOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject;

    /// <summary>The log of a pod's container as a text stream (endless with Follow); dispose it.</summary>
    Task<Stream> GetPodLogAsync(string @namespace, string name, PodLogOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>Helpers built on <see cref="IKubeClient"/> alone.</summary>
public static class KubeClientExtensions
{
    /// <summary>
    /// Every page of a LIST (following continue tokens) as one list whose resourceVersion is the
    /// snapshot all pages share. An expired continue token surfaces as 410 (<see cref="KubeApiException.IsGone"/>).
    /// </summary>
    public static async Task<KubeList<T>> ListAllAsync<T>(this IKubeClient client, ResourceKind<T> kind, string? @namespace,
        ListOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var pageOptions = (options ?? new ListOptions()) with { Continue = null };
        pageOptions = pageOptions with { Limit = pageOptions.Limit ?? 500 };
        var first = await client.ListAsync(kind, @namespace, pageOptions, cancellationToken).ConfigureAwait(false);
        var items = new List<T>(first.Items);
        var page = first;
        while (!string.IsNullOrEmpty(page.Metadata.Continue))
        {
            page = await client.ListAsync(kind, @namespace, pageOptions with { Continue = page.Metadata.Continue }, cancellationToken)
                .ConfigureAwait(false);
            items.AddRange(page.Items);
        }
        return first with { Metadata = first.Metadata with { Continue = null, RemainingItemCount = null }, Items = items };
    }

    /// <summary>Server-side apply of the full intent <paramref name="obj"/> (creates it when missing).</summary>
    public static Task<T> ApplyAsync<T>(this IKubeClient client, ResourceKind<T> kind, T obj, string? fieldManager = null,
        bool force = false, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        client.PatchAsync(kind, obj.Metadata.Namespace, obj.Metadata.Name ?? "", KubePatch.Apply(obj),
            new PatchOptions { FieldManager = fieldManager, Force = force }, cancellationToken);
}
