namespace K8sFlow.LocalCluster.Store;

/// <summary>
/// Names a kind of stored object by API group and plural resource name, e.g. ("batch", "jobs").
/// The core group is "". Versions do not matter to the store: one stored copy serves every version.
/// </summary>
public readonly record struct ResourceRef(string Group, string Resource)
{
    public static readonly ResourceRef Namespaces = new("", "namespaces");
    public static readonly ResourceRef Pods = new("", "pods");
    public static readonly ResourceRef Events = new("", "events");
    public static readonly ResourceRef ConfigMaps = new("", "configmaps");
    public static readonly ResourceRef Secrets = new("", "secrets");
    public static readonly ResourceRef ServiceAccounts = new("", "serviceaccounts");
    public static readonly ResourceRef PersistentVolumeClaims = new("", "persistentvolumeclaims");
    public static readonly ResourceRef Jobs = new("batch", "jobs");
    public static readonly ResourceRef Leases = new("coordination.k8s.io", "leases");
    public static readonly ResourceRef CustomResourceDefinitions = new("apiextensions.k8s.io", "customresourcedefinitions");

    /// <summary>"pods", "jobs.batch", "dagruns.k8sflow.io": how the apiserver names a resource in messages.</summary>
    public override string ToString() => Group.Length == 0 ? Resource : Resource + "." + Group;
}
