using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Schema;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.Resources;

/// <summary>The pod spec defaults the apiserver fills in (also for Job pod templates).</summary>
internal static class PodSpecDefaults
{
    public static void Apply(JsonObject spec, string restartPolicy)
    {
        spec.TryAdd("restartPolicy", restartPolicy);
        spec.TryAdd("terminationGracePeriodSeconds", 30);
        spec.TryAdd("dnsPolicy", "ClusterFirst");
        spec.TryAdd("schedulerName", "default-scheduler");
        spec.TryAdd("securityContext", new JsonObject());
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                container.TryAdd("terminationMessagePath", "/dev/termination-log");
                container.TryAdd("terminationMessagePolicy", "File");
                container.TryAdd("imagePullPolicy", PullPolicyFor(KubeJson.AsString(container["image"]) ?? ""));
                container.TryAdd("resources", new JsonObject());
            }
        }
    }

    /// <summary>Always for ":latest" or untagged images, IfNotPresent otherwise.</summary>
    private static string PullPolicyFor(string image)
    {
        var name = image.Contains('@') ? null : image[(image.LastIndexOf('/') + 1)..];
        return name is not null && (!name.Contains(':') || name.EndsWith(":latest", StringComparison.Ordinal)) ? "Always" : "IfNotPresent";
    }

    /// <summary>Containers need a name and an image.</summary>
    public static void Validate(JsonObject? spec, string path, List<StatusCause> causes)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            causes.Add(FieldErrors.Required(path + ".containers"));
            return;
        }
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i] as JsonObject;
            var at = FieldErrors.Index(path + ".containers", i);
            if (string.IsNullOrEmpty(KubeJson.AsString(container?["name"])))
            {
                causes.Add(FieldErrors.Required(at + ".name"));
            }
            if (string.IsNullOrEmpty(KubeJson.AsString(container?["image"])))
            {
                causes.Add(FieldErrors.Required(at + ".image"));
            }
        }
    }
}

/// <summary>Pods start Pending; their spec is immutable but for images, deadlines and the node binding.</summary>
internal sealed class PodStrategy : ResourceStrategy
{
    public override void PrepareForCreate(JsonObject obj, WriteContext context)
    {
        PodSpecDefaults.Apply(obj.EnsureObject("spec"), "Always");
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
    }

    protected override ApiStatus? ValidateObject(JsonObject obj, JsonObject? old, ResourceDefinition definition, WriteContext context, List<StatusCause> causes)
    {
        PodSpecDefaults.Validate(obj["spec"] as JsonObject, "spec", causes);
        if (old is not null && !KubeJson.Equal(MutableFieldsCleared(obj, old), MutableFieldsCleared(old, old)))
        {
            causes.Add(FieldErrors.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"));
        }
        return null;
    }

    private static JsonNode? MutableFieldsCleared(JsonObject pod, JsonObject old)
    {
        if (pod["spec"]?.DeepClone() is not JsonObject spec)
        {
            return null;
        }
        foreach (var field in new[] { "activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds" })
        {
            spec.Remove(field);
        }
        // Binding a pod to a node (the scheduler's job) sets nodeName once.
        if (string.IsNullOrEmpty(KubeJson.AsString(old["spec"]?["nodeName"])))
        {
            spec.Remove("nodeName");
        }
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                container.Remove("image");
            }
        }
        return spec;
    }
}

/// <summary>
/// batch/v1 Job defaulting as the apiserver does it: a selector on the job's uid, the matching
/// template labels (new and legacy), backoffLimit 6, completions/parallelism 1, suspend false.
/// A template without restartPolicy gets Never (the apiserver would refuse it).
/// </summary>
internal sealed class JobStrategy : ResourceStrategy
{
    public const string ControllerUidLabel = "batch.kubernetes.io/controller-uid";
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string LegacyControllerUidLabel = "controller-uid";
    public const string LegacyJobNameLabel = "job-name";

    public override void PrepareForCreate(JsonObject obj, WriteContext context)
    {
        var spec = obj.EnsureObject("spec");
        var uid = obj.Uid();
        var manualSelector = KubeJson.AsBool(spec["manualSelector"]) == true;
        if (!manualSelector)
        {
            spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [ControllerUidLabel] = uid } };
            var labels = obj.EnsureObject("spec", "template", "metadata", "labels");
            labels[ControllerUidLabel] = uid;
            labels[JobNameLabel] = obj.Name();
            labels[LegacyControllerUidLabel] = uid;
            labels[LegacyJobNameLabel] = obj.Name();
        }
        spec.TryAdd("backoffLimit", 6);
        spec.TryAdd("completions", 1);
        spec.TryAdd("parallelism", 1);
        spec.TryAdd("suspend", false);
        spec.TryAdd("completionMode", "NonIndexed");
        spec.TryAdd("podReplacementPolicy", "TerminatingOrFailed");
        PodSpecDefaults.Apply(obj.EnsureObject("spec", "template", "spec"), "Never");
    }

    protected override ApiStatus? ValidateObject(JsonObject obj, JsonObject? old, ResourceDefinition definition, WriteContext context, List<StatusCause> causes)
    {
        var template = obj["spec"]?["template"] as JsonObject;
        if (template is null)
        {
            causes.Add(FieldErrors.Required("spec.template"));
            return null;
        }
        PodSpecDefaults.Validate(template["spec"] as JsonObject, "spec.template.spec", causes);
        var restartPolicy = template["spec"]?["restartPolicy"];
        if (KubeJson.AsString(restartPolicy) is not ("Never" or "OnFailure"))
        {
            causes.Add(FieldErrors.NotSupported("spec.template.spec.restartPolicy", restartPolicy, [JsonValue.Create("OnFailure"), JsonValue.Create("Never")]));
        }
        if (old is not null)
        {
            if (!KubeJson.Equal(obj["spec"]?["selector"], old["spec"]?["selector"]))
            {
                causes.Add(FieldErrors.Invalid("spec.selector", obj["spec"]?["selector"], "field is immutable"));
            }
            var suspended = KubeJson.AsBool(old["spec"]?["suspend"]) == true;
            if (!suspended && !KubeJson.Equal(template, old["spec"]?["template"]))
            {
                causes.Add(FieldErrors.Invalid("spec.template", template, "field is immutable"));
            }
        }
        return null;
    }
}

/// <summary>Namespaces are Active and labelled with their own name; names are DNS labels.</summary>
internal sealed partial class NamespaceStrategy : ResourceStrategy
{
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    public override void PrepareForCreate(JsonObject obj, WriteContext context)
    {
        obj.EnsureObject("metadata", "labels")["kubernetes.io/metadata.name"] = obj.Name();
        obj["status"] = new JsonObject { ["phase"] = "Active" };
    }

    protected override void ValidateName(string name, List<StatusCause> causes)
    {
        if (name.Length > 63 || !Label().IsMatch(name))
        {
            causes.Add(FieldErrors.Invalid("metadata.name", name,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
        }
    }
}
