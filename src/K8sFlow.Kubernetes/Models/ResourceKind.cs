using K8sFlow.Core.Api;

namespace K8sFlow.Kubernetes.Models;

/// <summary>Where a kind lives in the API: everything needed to build its URLs.</summary>
public record ResourceKind(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    /// <summary>"v1" for the core group, otherwise "group/version".</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary><c>/api/v1</c> for the core group, otherwise <c>/apis/group/version</c>.</summary>
    public string GroupVersionPath => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";

    /// <summary>
    /// The collection URL path. A namespaced kind with no namespace gives the all-namespaces path
    /// (list and watch only); a cluster-scoped kind ignores the namespace.
    /// </summary>
    public string CollectionPath(string? @namespace) =>
        Namespaced && !string.IsNullOrEmpty(@namespace)
            ? $"{GroupVersionPath}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}"
            : $"{GroupVersionPath}/{Plural}";

    /// <summary>The URL path of one object, plus <c>/subresource</c> when given.</summary>
    public string ObjectPath(string? @namespace, string name, string? subresource = null)
    {
        if (Namespaced && string.IsNullOrEmpty(@namespace))
        {
            throw new ArgumentException($"{Kind} is namespaced: a namespace is required to address '{name}'.", nameof(@namespace));
        }
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"A {Kind} name is required.", nameof(name));
        }
        var path = $"{CollectionPath(@namespace)}/{Uri.EscapeDataString(name)}";
        return subresource is null ? path : $"{path}/{subresource}";
    }

    public override string ToString() => $"{Plural}.{(Group.Length == 0 ? "core" : Group)}/{Version}";
}

/// <summary>A <see cref="ResourceKind"/> tied to the DTO its objects deserialize to.</summary>
public sealed record ResourceKind<T>(string Group, string Version, string Plural, string Kind, bool Namespaced)
    : ResourceKind(Group, Version, Plural, Kind, Namespaced)
    where T : KubernetesObject;

/// <summary>The kinds K8sFlow uses: one registry for group, version, plural, kind and scope.</summary>
public static class KubeKinds
{
    public static readonly ResourceKind<Namespace> Namespace = new("", "v1", "namespaces", "Namespace", Namespaced: false);
    public static readonly ResourceKind<Pod> Pod = new("", "v1", "pods", "Pod", Namespaced: true);
    public static readonly ResourceKind<ConfigMap> ConfigMap = new("", "v1", "configmaps", "ConfigMap", Namespaced: true);
    public static readonly ResourceKind<Secret> Secret = new("", "v1", "secrets", "Secret", Namespaced: true);
    public static readonly ResourceKind<PersistentVolumeClaim> PersistentVolumeClaim =
        new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", Namespaced: true);
    public static readonly ResourceKind<Event> Event = new("", "v1", "events", "Event", Namespaced: true);
    public static readonly ResourceKind<Job> Job = new("batch", "v1", "jobs", "Job", Namespaced: true);
    public static readonly ResourceKind<Lease> Lease = new("coordination.k8s.io", "v1", "leases", "Lease", Namespaced: true);
    public static readonly ResourceKind<CustomResourceDefinition> CustomResourceDefinition =
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", Namespaced: false);
    public static readonly ResourceKind<Dag> Dag =
        new(K8sFlowApi.Group, K8sFlowApi.Version, K8sFlowApi.DagPlural, K8sFlowApi.DagKind, Namespaced: true);
    public static readonly ResourceKind<DagRun> DagRun =
        new(K8sFlowApi.Group, K8sFlowApi.Version, K8sFlowApi.DagRunPlural, K8sFlowApi.DagRunKind, Namespaced: true);

    /// <summary>Every registered kind, e.g. for discovery documents.</summary>
    public static IReadOnlyList<ResourceKind> All { get; } =
        [Namespace, Pod, ConfigMap, Secret, PersistentVolumeClaim, Event, Job, Lease, CustomResourceDefinition, Dag, DagRun];

    /// <summary>The registered kind whose objects deserialize to <typeparamref name="T"/>.</summary>
    public static ResourceKind<T> Of<T>() where T : KubernetesObject =>
        All.OfType<ResourceKind<T>>().FirstOrDefault()
        ?? throw new ArgumentException($"{typeof(T).Name} is not a registered kind; registered: {string.Join(", ", All.Select(k => k.Kind))}.");

    /// <summary>The registered kind with this apiVersion and kind, or null.</summary>
    public static ResourceKind? Find(string apiVersion, string kind) =>
        All.FirstOrDefault(k => k.ApiVersion == apiVersion && k.Kind == kind);
}
