using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tables;

namespace K8sFlow.LocalCluster.Resources;

/// <summary>The built-in kinds this server serves, as discovery advertises them.</summary>
internal static class BuiltInResources
{
    private static IReadOnlyList<ResourceVersion> V1(IReadOnlyList<PrinterColumn> columns) => [new ResourceVersion("v1", true, null, columns)];

    public static readonly ResourceDefinition Namespaces = new()
    {
        Group = "",
        Kind = "Namespace",
        Plural = "namespaces",
        Singular = "namespace",
        Namespaced = false,
        Versions = V1(BuiltInColumns.Namespaces),
        ShortNames = ["ns"],
        HasStatus = true,
        FieldLabels = new Dictionary<string, string> { ["status.phase"] = "status.phase" },
        Strategy = new NamespaceStrategy(),
    };

    public static readonly ResourceDefinition Pods = new()
    {
        Group = "",
        Kind = "Pod",
        Plural = "pods",
        Singular = "pod",
        Namespaced = true,
        Versions = V1(BuiltInColumns.Pods),
        ShortNames = ["po"],
        Categories = ["all"],
        HasStatus = true,
        ExtraSubresources = ["log"],
        FieldLabels = new Dictionary<string, string>
        {
            ["status.phase"] = "status.phase",
            ["spec.nodeName"] = "spec.nodeName",
            ["spec.restartPolicy"] = "spec.restartPolicy",
            ["spec.schedulerName"] = "spec.schedulerName",
            ["spec.serviceAccountName"] = "spec.serviceAccountName",
            ["status.podIP"] = "status.podIP",
            ["status.nominatedNodeName"] = "status.nominatedNodeName",
        },
        Strategy = new PodStrategy(),
    };

    public static readonly ResourceDefinition Events = new()
    {
        Group = "",
        Kind = "Event",
        Plural = "events",
        Singular = "event",
        Namespaced = true,
        Versions = V1(BuiltInColumns.Events),
        ShortNames = ["ev"],
        FieldLabels = new Dictionary<string, string>
        {
            ["involvedObject.kind"] = "involvedObject.kind",
            ["involvedObject.namespace"] = "involvedObject.namespace",
            ["involvedObject.name"] = "involvedObject.name",
            ["involvedObject.uid"] = "involvedObject.uid",
            ["involvedObject.apiVersion"] = "involvedObject.apiVersion",
            ["involvedObject.resourceVersion"] = "involvedObject.resourceVersion",
            ["involvedObject.fieldPath"] = "involvedObject.fieldPath",
            ["reason"] = "reason",
            ["reportingComponent"] = "reportingComponent",
            ["source"] = "source.component",
            ["type"] = "type",
        },
    };

    public static readonly ResourceDefinition ConfigMaps = new()
    {
        Group = "",
        Kind = "ConfigMap",
        Plural = "configmaps",
        Singular = "configmap",
        Namespaced = true,
        Versions = V1(BuiltInColumns.ConfigMaps),
        ShortNames = ["cm"],
    };

    public static readonly ResourceDefinition Secrets = new()
    {
        Group = "",
        Kind = "Secret",
        Plural = "secrets",
        Singular = "secret",
        Namespaced = true,
        Versions = V1(BuiltInColumns.Secrets),
        FieldLabels = new Dictionary<string, string> { ["type"] = "type" },
    };

    public static readonly ResourceDefinition ServiceAccounts = new()
    {
        Group = "",
        Kind = "ServiceAccount",
        Plural = "serviceaccounts",
        Singular = "serviceaccount",
        Namespaced = true,
        Versions = V1(BuiltInColumns.ServiceAccounts),
        ShortNames = ["sa"],
    };

    public static readonly ResourceDefinition PersistentVolumeClaims = new()
    {
        Group = "",
        Kind = "PersistentVolumeClaim",
        Plural = "persistentvolumeclaims",
        Singular = "persistentvolumeclaim",
        Namespaced = true,
        Versions = V1(BuiltInColumns.PersistentVolumeClaims),
        ShortNames = ["pvc"],
        HasStatus = true,
    };

    public static readonly ResourceDefinition Jobs = new()
    {
        Group = "batch",
        Kind = "Job",
        Plural = "jobs",
        Singular = "job",
        Namespaced = true,
        Versions = V1(BuiltInColumns.Jobs),
        Categories = ["all"],
        HasStatus = true,
        FieldLabels = new Dictionary<string, string> { ["status.successful"] = "status.succeeded" },
        DefaultPropagation = PropagationPolicy.Orphan,
        Strategy = new JobStrategy(),
    };

    public static readonly ResourceDefinition Leases = new()
    {
        Group = "coordination.k8s.io",
        Kind = "Lease",
        Plural = "leases",
        Singular = "lease",
        Namespaced = true,
        Versions = V1(BuiltInColumns.Leases),
    };

    public static readonly ResourceDefinition CustomResourceDefinitions = new()
    {
        Group = "apiextensions.k8s.io",
        Kind = "CustomResourceDefinition",
        Plural = "customresourcedefinitions",
        Singular = "customresourcedefinition",
        Namespaced = false,
        Versions = V1(BuiltInColumns.CustomResourceDefinitions),
        ShortNames = ["crd", "crds"],
        Categories = ["api-extensions"],
        HasStatus = true,
        Strategy = CrdStrategy.Instance,
    };

    public static readonly IReadOnlyList<ResourceDefinition> All =
        [Namespaces, Pods, Events, ConfigMaps, Secrets, ServiceAccounts, PersistentVolumeClaims, Jobs, Leases, CustomResourceDefinitions];
}
