using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace K8sFlow.Core.Api;

/// <summary>The subset of Kubernetes object metadata K8sFlow reads and writes.</summary>
public sealed record ObjectMeta
{
    public string? Name { get; init; }
    public string? GenerateName { get; init; }
    public string? Namespace { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public long? Generation { get; init; }
    public DateTimeOffset? CreationTimestamp { get; init; }
    public DateTimeOffset? DeletionTimestamp { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public Dictionary<string, string>? Annotations { get; init; }
    public List<string>? Finalizers { get; init; }
    public List<OwnerReference>? OwnerReferences { get; init; }
}

public sealed record OwnerReference
{
    public string ApiVersion { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public string Uid { get; init; } = "";
    public bool? Controller { get; init; }
    public bool? BlockOwnerDeletion { get; init; }
}

/// <summary>A Kubernetes-style condition (<c>status.conditions[]</c>).</summary>
[Description("A Kubernetes-style condition.")]
public sealed record Condition
{
    [Description("Condition type, e.g. Ready.")]
    [Required]
    [Key]
    public string Type { get; init; } = "";
    /// <summary>True, False or Unknown.</summary>
    [Description("True, False or Unknown.")]
    [Required]
    [AllowedValues("True", "False", "Unknown")]
    public string Status { get; init; } = "Unknown";
    [Description("Machine-readable reason in CamelCase.")]
    public string? Reason { get; init; }
    [Description("Human-readable detail.")]
    public string? Message { get; init; }
    [Description("When status last changed.")]
    public DateTimeOffset? LastTransitionTime { get; init; }
    [Description("The metadata.generation the condition was computed from.")]
    public long? ObservedGeneration { get; init; }
}

/// <summary>A name/value environment variable for task containers.</summary>
[Description("An environment variable of the task container.")]
public sealed record EnvVar
{
    [Description("Variable name.")]
    [Required]
    [Key]
    [MinLength(1)]
    public string Name { get; init; } = "";
    [Description("Variable value (supports templates such as {{ ds }}).")]
    public string? Value { get; init; }
}

/// <summary>Container resource requests and limits (quantities as written, e.g. "500m", "1Gi").</summary>
[Description("Container resource requests and limits, as in a Pod (e.g. cpu: 500m, memory: 1Gi).")]
public sealed record ResourceRequirements
{
    [Description("Resources the scheduler reserves for the task container.")]
    public Dictionary<string, string>? Requests { get; init; }
    [Description("Upper bounds enforced on the task container.")]
    public Dictionary<string, string>? Limits { get; init; }
}

/// <summary>Common shape of a custom resource; <see cref="JsonPropertyOrderAttribute"/> keeps manifests readable.</summary>
public abstract record KubernetesObject
{
    [JsonPropertyOrder(-3)]
    [Description("k8sflow.io/v1alpha1.")]
    public string ApiVersion { get; init; } = K8sFlowApi.ApiVersion;
    [JsonPropertyOrder(-2)]
    [Description("The resource kind: Dag or DagRun.")]
    public string Kind { get; init; } = "";
    [JsonPropertyOrder(-1)]
    [Description("Standard Kubernetes object metadata (name, namespace, labels...).")]
    public ObjectMeta Metadata { get; init; } = new();
}
