using System.Text.Json.Serialization;

namespace K8sFlow.Kubernetes.Models;

/// <summary>Metadata of lists and Status objects.</summary>
public sealed record ListMeta
{
    public string? ResourceVersion { get; init; }

    /// <summary>Opaque token for the next page; empty or absent on the last page.</summary>
    public string? Continue { get; init; }

    public long? RemainingItemCount { get; init; }
}

/// <summary>A list response: <c>{"kind":"JobList","metadata":{...},"items":[...]}</c>.</summary>
public sealed record KubeList<T>
{
    [JsonPropertyOrder(-3)]
    public string? ApiVersion { get; init; }

    [JsonPropertyOrder(-2)]
    public string? Kind { get; init; }

    [JsonPropertyOrder(-1)]
    public ListMeta Metadata { get; init; } = new();

    public List<T> Items { get; init; } = [];
}

/// <summary>A reference to any object (Event.involvedObject).</summary>
public sealed record ObjectReference
{
    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public string? FieldPath { get; init; }
}

public sealed record LocalObjectReference
{
    public string Name { get; init; } = "";
}

/// <summary>matchLabels AND matchExpressions.</summary>
public sealed record LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; init; }
    public List<LabelSelectorRequirement>? MatchExpressions { get; init; }
}

public sealed record LabelSelectorRequirement
{
    public string Key { get; init; } = "";

    /// <summary>In, NotIn, Exists or DoesNotExist.</summary>
    public string Operator { get; init; } = "";

    public List<string>? Values { get; init; }
}
