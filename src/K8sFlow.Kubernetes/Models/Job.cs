using K8sFlow.Core.Api;

namespace K8sFlow.Kubernetes.Models;

/// <summary>A batch/v1 Job: one K8sFlow task attempt.</summary>
public sealed record Job : KubernetesObject
{
    public Job()
    {
        ApiVersion = KubeKinds.Job.ApiVersion;
        Kind = KubeKinds.Job.Kind;
    }

    public JobSpec Spec { get; init; } = new();
    public JobStatus? Status { get; init; }
}

public sealed record JobSpec
{
    public PodTemplateSpec Template { get; init; } = new();

    /// <summary>Failed pods tolerated before the Job fails (server default 6).</summary>
    public int? BackoffLimit { get; init; }

    /// <summary>Counted from status.startTime.</summary>
    public long? ActiveDeadlineSeconds { get; init; }

    public int? TtlSecondsAfterFinished { get; init; }
    public int? Parallelism { get; init; }
    public int? Completions { get; init; }
    public bool? Suspend { get; init; }

    /// <summary>Defaulted by the server to the controller-uid label.</summary>
    public LabelSelector? Selector { get; init; }

    public bool? ManualSelector { get; init; }
    public PodFailurePolicy? PodFailurePolicy { get; init; }
}

public sealed record PodFailurePolicy
{
    /// <summary>Evaluated in order; the first match wins.</summary>
    public List<PodFailurePolicyRule> Rules { get; init; } = [];
}

public sealed record PodFailurePolicyRule
{
    /// <summary>FailJob, Ignore, Count or FailIndex.</summary>
    public string Action { get; init; } = "";

    public PodFailurePolicyOnExitCodesRequirement? OnExitCodes { get; init; }
    public List<PodFailurePolicyOnPodConditionsPattern>? OnPodConditions { get; init; }
}

public sealed record PodFailurePolicyOnExitCodesRequirement
{
    public string? ContainerName { get; init; }

    /// <summary>In or NotIn.</summary>
    public string Operator { get; init; } = "";

    public List<int> Values { get; init; } = [];
}

public sealed record PodFailurePolicyOnPodConditionsPattern
{
    public string Type { get; init; } = "";
    public string? Status { get; init; }
}

public sealed record JobStatus
{
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Set on success only.</summary>
    public DateTimeOffset? CompletionTime { get; init; }

    public int? Active { get; init; }
    public int? Succeeded { get; init; }
    public int? Failed { get; init; }
    public int? Ready { get; init; }
    public int? Terminating { get; init; }

    /// <summary>SuccessCriteriaMet, Complete, FailureTarget, Failed, Suspended.</summary>
    public List<Condition>? Conditions { get; init; }
}
