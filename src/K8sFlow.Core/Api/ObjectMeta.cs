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
public sealed record Condition
{
    public string Type { get; init; } = "";
    /// <summary>True, False or Unknown.</summary>
    public string Status { get; init; } = "Unknown";
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? LastTransitionTime { get; init; }
    public long? ObservedGeneration { get; init; }
}

/// <summary>A name/value environment variable for task containers.</summary>
public sealed record EnvVar
{
    public string Name { get; init; } = "";
    public string? Value { get; init; }
}

/// <summary>Container resource requests and limits (quantities as written, e.g. "500m", "1Gi").</summary>
public sealed record ResourceRequirements
{
    public Dictionary<string, string>? Requests { get; init; }
    public Dictionary<string, string>? Limits { get; init; }
}

/// <summary>Common shape of a custom resource; <see cref="JsonPropertyOrderAttribute"/> keeps manifests readable.</summary>
public abstract record KubernetesObject
{
    [JsonPropertyOrder(-3)]
    public string ApiVersion { get; init; } = K8sFlowApi.ApiVersion;
    [JsonPropertyOrder(-2)]
    public string Kind { get; init; } = "";
    [JsonPropertyOrder(-1)]
    public ObjectMeta Metadata { get; init; } = new();
}
