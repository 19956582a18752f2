using System.Text.Json.Serialization;
using K8sFlow.Core.Api;

namespace K8sFlow.Kubernetes.Models;

public sealed record Namespace : KubernetesObject
{
    public Namespace()
    {
        ApiVersion = KubeKinds.Namespace.ApiVersion;
        Kind = KubeKinds.Namespace.Kind;
    }

    public NamespaceSpec? Spec { get; init; }
    public NamespaceStatus? Status { get; init; }
}

public sealed record NamespaceSpec
{
    public List<string>? Finalizers { get; init; }
}

public sealed record NamespaceStatus
{
    /// <summary>Active or Terminating.</summary>
    public string? Phase { get; init; }
}

public sealed record ConfigMap : KubernetesObject
{
    public ConfigMap()
    {
        ApiVersion = KubeKinds.ConfigMap.ApiVersion;
        Kind = KubeKinds.ConfigMap.Kind;
    }

    public Dictionary<string, string>? Data { get; init; }

    /// <summary>Base64 on the wire.</summary>
    public Dictionary<string, byte[]>? BinaryData { get; init; }

    public bool? Immutable { get; init; }
}

public sealed record Secret : KubernetesObject
{
    public Secret()
    {
        ApiVersion = KubeKinds.Secret.ApiVersion;
        Kind = KubeKinds.Secret.Kind;
    }

    /// <summary>Base64 on the wire.</summary>
    public Dictionary<string, byte[]>? Data { get; init; }

    /// <summary>Write-only convenience: the server merges it into data.</summary>
    public Dictionary<string, string>? StringData { get; init; }

    /// <summary>Opaque by default.</summary>
    public string? Type { get; init; }

    public bool? Immutable { get; init; }
}

public sealed record PersistentVolumeClaim : KubernetesObject
{
    public PersistentVolumeClaim()
    {
        ApiVersion = KubeKinds.PersistentVolumeClaim.ApiVersion;
        Kind = KubeKinds.PersistentVolumeClaim.Kind;
    }

    public PersistentVolumeClaimSpec Spec { get; init; } = new();
    public PersistentVolumeClaimStatus? Status { get; init; }
}

public sealed record PersistentVolumeClaimSpec
{
    /// <summary>ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod.</summary>
    public List<string>? AccessModes { get; init; }

    /// <summary>requests.storage is the size.</summary>
    public ResourceRequirements? Resources { get; init; }

    public string? StorageClassName { get; init; }
    public string? VolumeMode { get; init; }
    public string? VolumeName { get; init; }
    public LabelSelector? Selector { get; init; }
}

public sealed record PersistentVolumeClaimStatus
{
    /// <summary>Pending, Bound or Lost.</summary>
    public string? Phase { get; init; }

    public List<string>? AccessModes { get; init; }
    public Dictionary<string, string>? Capacity { get; init; }
}

/// <summary>A core/v1 Event (what <c>kubectl describe</c> shows).</summary>
public sealed record Event : KubernetesObject
{
    public Event()
    {
        ApiVersion = KubeKinds.Event.ApiVersion;
        Kind = KubeKinds.Event.Kind;
    }

    public ObjectReference InvolvedObject { get; init; } = new();
    public string? Reason { get; init; }
    public string? Message { get; init; }

    /// <summary>Normal or Warning.</summary>
    public string? Type { get; init; }

    public EventSource? Source { get; init; }
    public DateTimeOffset? FirstTimestamp { get; init; }
    public DateTimeOffset? LastTimestamp { get; init; }
    public int? Count { get; init; }

    [JsonConverter(typeof(MicroTimeConverter))]
    public DateTimeOffset? EventTime { get; init; }

    public string? ReportingComponent { get; init; }
    public string? ReportingInstance { get; init; }
    public string? Action { get; init; }
    public ObjectReference? Related { get; init; }
}

public sealed record EventSource
{
    public string? Component { get; init; }
    public string? Host { get; init; }
}

/// <summary>A coordination.k8s.io/v1 Lease (leader election).</summary>
public sealed record Lease : KubernetesObject
{
    public Lease()
    {
        ApiVersion = KubeKinds.Lease.ApiVersion;
        Kind = KubeKinds.Lease.Kind;
    }

    public LeaseSpec Spec { get; init; } = new();
}

public sealed record LeaseSpec
{
    /// <summary>Empty or absent: nobody holds the lease.</summary>
    public string? HolderIdentity { get; init; }

    public int? LeaseDurationSeconds { get; init; }

    [JsonConverter(typeof(MicroTimeConverter))]
    public DateTimeOffset? AcquireTime { get; init; }

    [JsonConverter(typeof(MicroTimeConverter))]
    public DateTimeOffset? RenewTime { get; init; }

    public int? LeaseTransitions { get; init; }
}
