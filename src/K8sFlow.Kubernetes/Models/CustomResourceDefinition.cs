using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using K8sFlow.Core.Api;

namespace K8sFlow.Kubernetes.Models;

/// <summary>An apiextensions.k8s.io/v1 CRD: enough to create and read one.</summary>
public sealed record CustomResourceDefinition : KubernetesObject
{
    public CustomResourceDefinition()
    {
        ApiVersion = KubeKinds.CustomResourceDefinition.ApiVersion;
        Kind = KubeKinds.CustomResourceDefinition.Kind;
    }

    public CustomResourceDefinitionSpec Spec { get; init; } = new();
    public CustomResourceDefinitionStatus? Status { get; init; }
}

public sealed record CustomResourceDefinitionSpec
{
    public string Group { get; init; } = "";
    public CustomResourceDefinitionNames Names { get; init; } = new();

    /// <summary>Namespaced or Cluster.</summary>
    public string Scope { get; init; } = "Namespaced";

    public List<CustomResourceDefinitionVersion> Versions { get; init; } = [];
}

public sealed record CustomResourceDefinitionNames
{
    public string Plural { get; init; } = "";
    public string? Singular { get; init; }
    public string Kind { get; init; } = "";
    public string? ListKind { get; init; }
    public List<string>? ShortNames { get; init; }
    public List<string>? Categories { get; init; }
}

public sealed record CustomResourceDefinitionVersion
{
    public string Name { get; init; } = "";
    public bool Served { get; init; }

    /// <summary>Exactly one version is the storage version.</summary>
    public bool Storage { get; init; }

    public bool? Deprecated { get; init; }
    public CustomResourceValidation? Schema { get; init; }
    public CustomResourceSubresources? Subresources { get; init; }
    public List<CustomResourceColumnDefinition>? AdditionalPrinterColumns { get; init; }
}

public sealed record CustomResourceValidation
{
    [JsonPropertyName("openAPIV3Schema")]
    public JsonObject? OpenApiV3Schema { get; init; }
}

public sealed record CustomResourceSubresources
{
    /// <summary>Present (as <c>{}</c>) to enable the /status subresource.</summary>
    public JsonObject? Status { get; init; }

    public JsonObject? Scale { get; init; }
}

public sealed record CustomResourceColumnDefinition
{
    public string Name { get; init; } = "";

    /// <summary>integer, number, string, boolean or date.</summary>
    public string Type { get; init; } = "string";

    public string JsonPath { get; init; } = "";
    public string? Description { get; init; }
    public string? Format { get; init; }
    public int? Priority { get; init; }
}

public sealed record CustomResourceDefinitionStatus
{
    /// <summary>Established, NamesAccepted...</summary>
    public List<Condition>? Conditions { get; init; }

    public CustomResourceDefinitionNames? AcceptedNames { get; init; }
    public List<string>? StoredVersions { get; init; }
}
