using System.Text.Json.Nodes;
using K8sFlow.Core.Api;

namespace K8sFlow.Kubernetes.Models;

public sealed record Pod : KubernetesObject
{
    public Pod()
    {
        ApiVersion = KubeKinds.Pod.ApiVersion;
        Kind = KubeKinds.Pod.Kind;
    }

    public PodSpec Spec { get; init; } = new();
    public PodStatus? Status { get; init; }
}

/// <summary>A pod template inside a Job.</summary>
public sealed record PodTemplateSpec
{
    public ObjectMeta? Metadata { get; init; }
    public PodSpec Spec { get; init; } = new();
}

public sealed record PodSpec
{
    public List<Container> Containers { get; init; } = [];
    public List<Container>? InitContainers { get; init; }
    public List<Volume>? Volumes { get; init; }

    /// <summary>Always, OnFailure or Never (Jobs: OnFailure or Never).</summary>
    public string? RestartPolicy { get; init; }

    public string? ServiceAccountName { get; init; }
    public string? NodeName { get; init; }
    public Dictionary<string, string>? NodeSelector { get; init; }
    public List<Toleration>? Tolerations { get; init; }

    /// <summary>Passed through as written (the operator does not interpret affinity).</summary>
    public JsonObject? Affinity { get; init; }

    /// <summary>The pod-level security context, passed through as written.</summary>
    public JsonObject? SecurityContext { get; init; }

    public List<LocalObjectReference>? ImagePullSecrets { get; init; }
    public long? ActiveDeadlineSeconds { get; init; }
    public long? TerminationGracePeriodSeconds { get; init; }
}

public sealed record Container
{
    public string Name { get; init; } = "";
    public string? Image { get; init; }
    public string? ImagePullPolicy { get; init; }
    public List<string>? Command { get; init; }
    public List<string>? Args { get; init; }
    public List<EnvVar>? Env { get; init; }
    public string? WorkingDir { get; init; }
    public ResourceRequirements? Resources { get; init; }
    public List<VolumeMount>? VolumeMounts { get; init; }

    /// <summary>Default /dev/termination-log; K8sFlow points $K8SFLOW_OUTPUT here.</summary>
    public string? TerminationMessagePath { get; init; }

    /// <summary>File (default) or FallbackToLogsOnError.</summary>
    public string? TerminationMessagePolicy { get; init; }

    public JsonObject? SecurityContext { get; init; }
}

public sealed record VolumeMount
{
    public string Name { get; init; } = "";
    public string MountPath { get; init; } = "";
    public string? SubPath { get; init; }
    public bool? ReadOnly { get; init; }
}

/// <summary>A pod volume; exactly one source is set.</summary>
public sealed record Volume
{
    public string Name { get; init; } = "";
    public EmptyDirVolumeSource? EmptyDir { get; init; }
    public PersistentVolumeClaimVolumeSource? PersistentVolumeClaim { get; init; }
    public ConfigMapVolumeSource? ConfigMap { get; init; }
    public SecretVolumeSource? Secret { get; init; }
}

public sealed record EmptyDirVolumeSource
{
    /// <summary>"" (node disk) or "Memory".</summary>
    public string? Medium { get; init; }

    public string? SizeLimit { get; init; }
}

public sealed record PersistentVolumeClaimVolumeSource
{
    public string ClaimName { get; init; } = "";
    public bool? ReadOnly { get; init; }
}

public sealed record ConfigMapVolumeSource
{
    public string Name { get; init; } = "";
    public List<KeyToPath>? Items { get; init; }
    public int? DefaultMode { get; init; }
    public bool? Optional { get; init; }
}

public sealed record SecretVolumeSource
{
    public string SecretName { get; init; } = "";
    public List<KeyToPath>? Items { get; init; }
    public int? DefaultMode { get; init; }
    public bool? Optional { get; init; }
}

public sealed record KeyToPath
{
    public string Key { get; init; } = "";
    public string Path { get; init; } = "";
    public int? Mode { get; init; }
}

public sealed record Toleration
{
    public string? Key { get; init; }

    /// <summary>Equal (default) or Exists.</summary>
    public string? Operator { get; init; }

    public string? Value { get; init; }

    /// <summary>NoSchedule, PreferNoSchedule or NoExecute.</summary>
    public string? Effect { get; init; }

    public long? TolerationSeconds { get; init; }
}

public sealed record PodStatus
{
    /// <summary>Pending, Running, Succeeded, Failed or Unknown.</summary>
    public string? Phase { get; init; }

    public List<Condition>? Conditions { get; init; }
    public string? Message { get; init; }
    public string? Reason { get; init; }
    public string? PodIP { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public List<ContainerStatus>? InitContainerStatuses { get; init; }
    public List<ContainerStatus>? ContainerStatuses { get; init; }
}

public sealed record ContainerStatus
{
    public string Name { get; init; } = "";
    public string? Image { get; init; }
    public string? ImageID { get; init; }
    public string? ContainerID { get; init; }
    public bool Ready { get; init; }
    public int RestartCount { get; init; }
    public bool? Started { get; init; }
    public ContainerState? State { get; init; }
    public ContainerState? LastState { get; init; }
}

/// <summary>At most one of waiting, running, terminated is set.</summary>
public sealed record ContainerState
{
    public ContainerStateWaiting? Waiting { get; init; }
    public ContainerStateRunning? Running { get; init; }
    public ContainerStateTerminated? Terminated { get; init; }
}

public sealed record ContainerStateWaiting
{
    /// <summary>ContainerCreating, ImagePullBackOff, CrashLoopBackOff...</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }
}

public sealed record ContainerStateRunning
{
    public DateTimeOffset? StartedAt { get; init; }
}

public sealed record ContainerStateTerminated
{
    public int ExitCode { get; init; }
    public int? Signal { get; init; }

    /// <summary>Completed, Error, OOMKilled, DeadlineExceeded...</summary>
    public string? Reason { get; init; }

    /// <summary>The termination message (at most 4096 bytes per container).</summary>
    public string? Message { get; init; }

    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? ContainerID { get; init; }
}
