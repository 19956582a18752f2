using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Patching;

/// <summary>
/// How the apiserver lets `kubectl apply --server-side` take over objects managed by client-side apply:
/// for the manager "kubectl", conflicts on fields listed in the kubectl.kubernetes.io/last-applied-configuration
/// annotation are forced, and that annotation is kept in step with what was applied.
/// </summary>
internal static class LastAppliedConfiguration
{
    public const string Annotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>The only manager the upgrade applies to (others opt out by naming themselves).</summary>
    public const string KubectlManager = "kubectl";

    /// <summary>True when every conflict is on a field the client-side apply annotation lists.</summary>
    public static bool CoversConflicts(JsonObject live, IReadOnlyList<FieldConflict> conflicts, IListStrategies lists) =>
        LastApplied(live) is { } lastApplied
        && FieldSet.FromObject(lastApplied, lists) is var owned
        && conflicts.All(c => owned.Contains(c.Path));

    /// <summary>Rewrites the annotation to the applied configuration when the object has one.</summary>
    public static void Refresh(JsonObject result, JsonObject config)
    {
        if (result["metadata"]?["annotations"]?[Annotation] is null)
        {
            return;
        }
        var applied = config.DeepClone().AsObject();
        if (applied["metadata"]?["annotations"] is JsonObject annotations)
        {
            annotations.Remove(Annotation);
        }
        result.EnsureObject("metadata", "annotations")[Annotation] = KubeJson.Serialize(applied);
    }

    private static JsonObject? LastApplied(JsonObject live) =>
        KubeJson.AsString(live["metadata"]?["annotations"]?[Annotation]) is { } text ? KubeJson.TryParse(text, out _) as JsonObject : null;
}
