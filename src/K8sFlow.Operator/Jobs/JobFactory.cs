using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Json;
using K8sFlow.Core.Planning;
using K8sFlow.Core.Templating;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.Jobs;

/// <summary>A Job to create, or why none can be (the task's attempt then fails with <see cref="Error"/>).</summary>
public sealed record JobBuild(Job? Job, string? Error)
{
    public static JobBuild Success(Job job) => new(job, null);

    public static JobBuild Failure(string error) => new(null, error);
}

/// <summary>
/// Builds the batch/v1 Job of one task attempt (pure). The Dag's defaults apply where the task sets nothing;
/// command, args and env values are rendered with <see cref="TemplateEngine"/>; the defaults' and then the task's
/// podTemplate are merged last into the pod spec (JSON merge patch), except its <c>metadata</c> (labels and
/// annotations), which goes to the pod's metadata under K8sFlow's own.
/// </summary>
public static class JobFactory
{
    public const string ContainerName = "main";

    /// <summary>Where the container writes its outputs ($K8SFLOW_OUTPUT): Kubernetes' termination message file.</summary>
    public const string TerminationMessagePath = "/dev/termination-log";

    public const string WorkspaceVolumeName = "workspace";
    public const string WorkspaceMountPath = "/workspace";
    public const string DefaultWorkspaceSize = "1Gi";

    private static readonly HashSet<string> ReservedEnv =
    [
        K8sFlowApi.Env.Dag, K8sFlowApi.Env.RunId, K8sFlowApi.Env.Task, K8sFlowApi.Env.TryNumber, K8sFlowApi.Env.LogicalDate,
        K8sFlowApi.Env.Params, K8sFlowApi.Env.Output, K8sFlowApi.Env.Workspace,
    ];

    /// <summary>
    /// The Job for <paramref name="start"/>. <paramref name="status"/> is the run's status as the controller is about
    /// to write it (run id, dates, resolved params and task outputs feed the templates).
    /// </summary>
    public static JobBuild Build(DagRun run, DagRunStatus status, DagSpec spec, StartTask start) => ForRun(run, status, spec)(start);

    /// <summary>
    /// <see cref="Build"/> for many starts of one plan: the template context and the task lookup are made once, so a
    /// plan that starts 10,000 tasks costs 10,000 builds, not 10,000 scans of the run.
    /// </summary>
    public static Func<StartTask, JobBuild> ForRun(DagRun run, DagRunStatus status, DagSpec spec)
    {
        var context = TemplateContext.FromRunStatus(status);
        var tasks = spec.Tasks.DistinctBy(t => t.Name).ToDictionary(t => t.Name, StringComparer.Ordinal);
        return start => tasks.TryGetValue(start.TaskName, out var task)
            ? BuildTask(run, status, spec, task, context, start)
            : JobBuild.Failure($"task {start.TaskName}: not in the run's Dag spec");
    }

    private static JobBuild BuildTask(DagRun run, DagRunStatus status, DagSpec spec, TaskSpec task, TemplateContext context, StartTask start)
    {
        var defaults = spec.Defaults;
        var where = $"task {task.Name}";
        var image = task.Image ?? defaults?.Image;
        if (string.IsNullOrEmpty(image))
        {
            return JobBuild.Failure($"{where}: image: no image (set spec.tasks[].image or spec.defaults.image)");
        }

        var errors = new List<string>();
        var command = Render(task.Command, "command", context, errors);
        var args = Render(task.Args, "args", context, errors);
        var env = new List<EnvVar>();
        foreach (var variable in MergeEnv(defaults?.Env, task.Env))
        {
            var rendered = variable.Value is null ? null : TemplateEngine.Render(variable.Value, context);
            if (rendered is { Succeeded: false })
            {
                errors.Add($"env[{variable.Name}]: {rendered.Error}");
            }
            else
            {
                env.Add(variable with { Value = rendered?.Value });
            }
        }
        if (errors.Count > 0)
        {
            return JobBuild.Failure($"{where}: {string.Join("; ", errors)}");
        }

        var dagName = run.Spec.DagName;
        var runName = run.Metadata.Name!;
        env.AddRange(
        [
            new EnvVar { Name = K8sFlowApi.Env.Dag, Value = dagName },
            new EnvVar { Name = K8sFlowApi.Env.RunId, Value = status.RunId ?? "" },
            new EnvVar { Name = K8sFlowApi.Env.Task, Value = task.Name },
            new EnvVar { Name = K8sFlowApi.Env.TryNumber, Value = start.TryNumber.ToString(CultureInfo.InvariantCulture) },
            new EnvVar { Name = K8sFlowApi.Env.LogicalDate, Value = status.LogicalDate is { } date ? Names.FormatIso(date) : "" },
            new EnvVar { Name = K8sFlowApi.Env.Params, Value = JsonSerializer.Serialize(status.Params ?? [], K8sFlowJson.Options) },
            new EnvVar { Name = K8sFlowApi.Env.Output, Value = TerminationMessagePath },
        ]);
        if (spec.Workspace is not null)
        {
            env.Add(new EnvVar { Name = K8sFlowApi.Env.Workspace, Value = WorkspaceMountPath });
        }

        var container = new Container
        {
            Name = ContainerName,
            Image = image,
            Command = command,
            Args = args,
            Env = env,
            Resources = task.Resources ?? defaults?.Resources,
            TerminationMessagePath = TerminationMessagePath,
            // The file when the task wrote one; on failure without it, the log tail explains the failure.
            TerminationMessagePolicy = "FallbackToLogsOnError",
            VolumeMounts = spec.Workspace is null ? null : [new VolumeMount { Name = WorkspaceVolumeName, MountPath = WorkspaceMountPath }],
        };
        var podSpec = new PodSpec
        {
            Containers = [container],
            RestartPolicy = "Never",
            ServiceAccountName = task.ServiceAccountName ?? defaults?.ServiceAccountName,
            Volumes = spec.Workspace is null ? null :
            [
                new Volume
                {
                    Name = WorkspaceVolumeName,
                    PersistentVolumeClaim = new PersistentVolumeClaimVolumeSource { ClaimName = WorkspaceClaimName(runName) },
                },
            ],
        };
        var merged = MergePodTemplate(podSpec, defaults?.PodTemplate, task.PodTemplate);
        if (merged.Error is not null)
        {
            return JobBuild.Failure($"{where}: podTemplate: {merged.Error}");
        }

        var labels = AttemptLabels(run, task.Name, start.TryNumber);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [K8sFlowApi.Annotations.RunId] = status.RunId ?? "",
            [K8sFlowApi.Annotations.TaskName] = task.Name,
        };
        if (status.LogicalDate is { } logicalDate)
        {
            annotations[K8sFlowApi.Annotations.LogicalDate] = Names.FormatIso(logicalDate);
        }
        return JobBuild.Success(new Job
        {
            Metadata = new ObjectMeta
            {
                Name = start.ExecutionName,
                Namespace = run.Metadata.Namespace,
                Labels = labels,
                Annotations = annotations,
                OwnerReferences = [OwnerReferenceTo(run)],
            },
            Spec = new JobSpec
            {
                BackoffLimit = 0, // one Job = one attempt: K8sFlow owns retries
                ActiveDeadlineSeconds = start.Timeout is { } timeout ? Math.Max(1, (long)Math.Ceiling(timeout.TotalSeconds)) : null,
                Template = new PodTemplateSpec
                {
                    Metadata = new ObjectMeta { Labels = Over(merged.Labels, labels), Annotations = Over(merged.Annotations, annotations) },
                    Spec = merged.Spec!,
                },
            },
        });
    }

    /// <summary>The labels of a run's objects: Dag, run and managed-by (selectors and indexes use them).</summary>
    public static Dictionary<string, string> RunLabels(DagRun run) => new(StringComparer.Ordinal)
    {
        [K8sFlowApi.Labels.Dag] = Names.ToLabelValue(run.Spec.DagName),
        [K8sFlowApi.Labels.DagRun] = Names.ToLabelValue(run.Metadata.Name!),
        [K8sFlowApi.Labels.ManagedBy] = K8sFlowApi.Labels.ManagedByValue,
    };

    /// <summary><see cref="RunLabels"/> plus the task and try of one attempt.</summary>
    public static Dictionary<string, string> AttemptLabels(DagRun run, string taskName, int tryNumber)
    {
        var labels = RunLabels(run);
        labels[K8sFlowApi.Labels.Task] = Names.ToLabelValue(Names.ToDnsLabelPart(taskName));
        labels[K8sFlowApi.Labels.TryNumber] = tryNumber.ToString(CultureInfo.InvariantCulture);
        return labels;
    }

    /// <summary>Controller reference to the run: Kubernetes' garbage collector deletes the object with the run.</summary>
    public static OwnerReference OwnerReferenceTo(DagRun run) => new()
    {
        ApiVersion = K8sFlowApi.ApiVersion,
        Kind = K8sFlowApi.DagRunKind,
        Name = run.Metadata.Name!,
        Uid = run.Metadata.Uid ?? "",
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>"&lt;run&gt;-workspace", cut and hashed when the run name is too long for a PVC name.</summary>
    public static string WorkspaceClaimName(string runName) => RunChildName(runName, "-workspace");

    /// <summary>"&lt;run&gt;-dag-spec": the ConfigMap holding the run's pinned Dag spec.</summary>
    public static string PinnedSpecName(string runName) => RunChildName(runName, "-dag-spec");

    /// <summary>The run's name plus <paramref name="suffix"/>, cut and hashed when too long for an object name.</summary>
    private static string RunChildName(string runName, string suffix)
    {
        var name = runName + suffix;
        if (name.Length <= Names.MaxSubdomainLength)
        {
            return name;
        }
        var hash = Names.ShortHash(runName);
        return $"{runName[..(Names.MaxSubdomainLength - suffix.Length - hash.Length - 1)].TrimEnd('-', '.')}-{hash}{suffix}";
    }

    /// <summary>The run's workspace volume, owned by the run (deleted with it).</summary>
    public static PersistentVolumeClaim BuildWorkspaceClaim(DagRun run, WorkspaceSpec workspace) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = WorkspaceClaimName(run.Metadata.Name!),
            Namespace = run.Metadata.Namespace,
            Labels = RunLabels(run),
            OwnerReferences = [OwnerReferenceTo(run)],
        },
        Spec = new PersistentVolumeClaimSpec
        {
            // ReadWriteOnce is what every default storage class offers; tasks of a run then share a node's volume.
            AccessModes = ["ReadWriteOnce"],
            Resources = new ResourceRequirements { Requests = new() { ["storage"] = workspace.Size ?? DefaultWorkspaceSize } },
            StorageClassName = workspace.StorageClassName,
        },
    };

    private static List<string>? Render(List<string>? templates, string field, TemplateContext context, List<string> errors)
    {
        if (templates is null)
        {
            return null;
        }
        var values = new List<string>(templates.Count);
        for (var i = 0; i < templates.Count; i++)
        {
            var result = TemplateEngine.Render(templates[i], context);
            if (result.Succeeded)
            {
                values.Add(result.Value!);
            }
            else
            {
                errors.Add($"{field}[{i.ToString(CultureInfo.InvariantCulture)}]: {result.Error}");
            }
        }
        return values;
    }

    /// <summary>Defaults first, a task's entry replaces the default of the same name; K8sFlow's own names are reserved.</summary>
    private static IEnumerable<EnvVar> MergeEnv(List<EnvVar>? defaults, List<EnvVar>? task)
    {
        var taskNames = new HashSet<string>((task ?? []).Select(e => e.Name), StringComparer.Ordinal);
        return (defaults ?? []).Where(e => !taskNames.Contains(e.Name))
            .Concat(task ?? [])
            .Where(e => !ReservedEnv.Contains(e.Name))
            .DistinctBy(e => e.Name);
    }

    /// <summary>The pod template after the podTemplates: its spec, and the pod labels and annotations they add.</summary>
    private sealed record MergedPodTemplate(PodSpec? Spec, Dictionary<string, string>? Labels, Dictionary<string, string>? Annotations, string? Error)
    {
        public static MergedPodTemplate Failure(string error) => new(null, null, null, error);
    }

    /// <summary>The keys of a podTemplate's <c>metadata</c>: what a task pod may carry besides K8sFlow's own.</summary>
    private static readonly string[] PodMetadataFields = ["labels", "annotations"];

    private static MergedPodTemplate MergePodTemplate(PodSpec podSpec, JsonObject? defaults, JsonObject? task)
    {
        if (defaults is null && task is null)
        {
            return new MergedPodTemplate(podSpec, null, null, null);
        }
        var node = JsonSerializer.SerializeToNode(podSpec, KubeJson.Options)!.AsObject();
        // An absent level merges nothing (a null patch would replace the whole pod spec with null).
        foreach (var patch in new[] { defaults, task }.OfType<JsonObject>())
        {
            node = JsonMergePatch.Apply(node, patch)!.AsObject();
        }
        // metadata is the pod's, not a pod spec field (sidecar injection, scrape annotations...).
        var metadata = node["metadata"];
        node.Remove("metadata");
        if (metadata is not (null or JsonObject))
        {
            return MergedPodTemplate.Failure("metadata: expected an object with labels and/or annotations");
        }
        if (metadata?.AsObject().Select(p => p.Key).FirstOrDefault(key => !PodMetadataFields.Contains(key)) is { } other)
        {
            return MergedPodTemplate.Failure($"metadata.{other}: only metadata.labels and metadata.annotations apply to task pods");
        }
        // The podTemplate is the user's free-form JSON: a wrongly typed field surfaces as the deserializer's error.
        try
        {
            return new MergedPodTemplate(node.Deserialize<PodSpec>(KubeJson.Options),
                metadata?["labels"]?.Deserialize<Dictionary<string, string>>(KubeJson.Options),
                metadata?["annotations"]?.Deserialize<Dictionary<string, string>>(KubeJson.Options), null);
        }
        catch (JsonException e)
        {
            return MergedPodTemplate.Failure(e.Message);
        }
    }

    /// <summary><paramref name="added"/> with K8sFlow's own entries over them (selectors and the controller rely on those).</summary>
    private static Dictionary<string, string> Over(Dictionary<string, string>? added, Dictionary<string, string> own)
    {
        var merged = new Dictionary<string, string>(added ?? [], StringComparer.Ordinal);
        foreach (var (key, value) in own)
        {
            merged[key] = value;
        }
        return merged;
    }
}
