using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Hosting;

/// <summary>
/// One kind's cache over the watched namespaces: a single all-namespaces informer, or one informer per listed
/// namespace (what a namespaced Role allows). Same contract as <see cref="Informer{T}"/>: never change the objects
/// it hands out.
/// </summary>
public sealed class InformerSet<T> where T : KubernetesObject
{
    private readonly Dictionary<string, Informer<T>> _byNamespace = new(StringComparer.Ordinal);
    private readonly Informer<T>? _all;

    /// <summary>Informers of <paramref name="kind"/> over <paramref name="namespaces"/> (empty: all namespaces).</summary>
    public InformerSet(IKubeClient client, ResourceKind<T> kind, IReadOnlyList<string> namespaces, InformerOptions options,
        TimeProvider timeProvider, ILogger? logger, Func<T, T>? transform = null)
    {
        Kind = kind;
        if (namespaces.Count == 0)
        {
            _all = new Informer<T>(client, kind, options with { Namespace = null }, timeProvider, logger, transform);
        }
        else
        {
            foreach (var ns in namespaces.Distinct(StringComparer.Ordinal))
            {
                _byNamespace[ns] = new Informer<T>(client, kind, options with { Namespace = ns }, timeProvider, logger, transform);
            }
        }
    }

    public ResourceKind<T> Kind { get; }

    private IEnumerable<Informer<T>> Informers => _all is null ? _byNamespace.Values : [_all];

    public bool HasSynced => Informers.All(i => i.HasSynced);

    public void AddIndex(string name, Func<T, IEnumerable<string>> keys)
    {
        foreach (var informer in Informers)
        {
            informer.AddIndex(name, keys);
        }
    }

    public void AddHandler(InformerHandler<T> handler)
    {
        foreach (var informer in Informers)
        {
            informer.AddHandler(handler);
        }
    }

    /// <summary>The cached object, or null (also for a namespace that is not watched).</summary>
    public T? Get(string? @namespace, string name) => InformerFor(@namespace)?.Get(@namespace, name);

    public IReadOnlyList<T> List() => [.. Informers.SelectMany(i => i.List())];

    /// <summary>Index lookups; index values start with "namespace/" (see <see cref="OperatorCache.IndexKey"/>), so one informer answers.</summary>
    public IReadOnlyList<T> ListByIndex(string @namespace, string indexName, string value) =>
        InformerFor(@namespace)?.ListByIndex(indexName, value) ?? [];

    public Task WaitForSyncAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Informers.Select(i => i.WaitForSyncAsync(cancellationToken)));

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Informers.Select(i => i.RunAsync(cancellationToken)));

    private Informer<T>? InformerFor(string? @namespace) =>
        _all ?? (@namespace is not null ? _byNamespace.GetValueOrDefault(@namespace) : null);
}
