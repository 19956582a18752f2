using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes;

/// <summary>Options of a LIST request. Selectors use the API's string syntax (see <see cref="Selectors"/>).</summary>
public sealed record ListOptions
{
    public string? LabelSelector { get; init; }
    public string? FieldSelector { get; init; }

    /// <summary>Page size; the response then carries metadata.continue while more pages remain.</summary>
    public int? Limit { get; init; }

    public string? Continue { get; init; }

    /// <summary>"0" lets the server answer from its cache.</summary>
    public string? ResourceVersion { get; init; }
}

/// <summary>Options of a WATCH request.</summary>
public sealed record WatchOptions
{
    /// <summary>Changes after this version; unset or "0" starts with ADDED events for the current state.</summary>
    public string? ResourceVersion { get; init; }

    public bool AllowWatchBookmarks { get; init; }

    /// <summary>The server ends the stream after this long.</summary>
    public int? TimeoutSeconds { get; init; }

    public string? LabelSelector { get; init; }
    public string? FieldSelector { get; init; }
}

/// <summary>Query options of POST and PUT.</summary>
public sealed record WriteOptions
{
    /// <summary>Defaults to <see cref="KubeClientOptions.FieldManager"/>.</summary>
    public string? FieldManager { get; init; }

    /// <summary>Validate and return without saving.</summary>
    public bool DryRun { get; init; }

    /// <summary>Ignore, Warn or Strict.</summary>
    public string? FieldValidation { get; init; }
}

/// <summary>Query options of PATCH.</summary>
public sealed record PatchOptions
{
    /// <summary>Defaults to <see cref="KubeClientOptions.FieldManager"/>; required by server-side apply.</summary>
    public string? FieldManager { get; init; }

    /// <summary>Server-side apply only: take over fields other managers own.</summary>
    public bool Force { get; init; }

    public bool DryRun { get; init; }
    public string? FieldValidation { get; init; }
}

public enum PropagationPolicy
{
    /// <summary>Delete now; the garbage collector removes dependents afterwards.</summary>
    Background,

    /// <summary>Delete dependents first; the owner waits with a foregroundDeletion finalizer.</summary>
    Foreground,

    /// <summary>Leave dependents (the batch/v1 Job default: its pods survive).</summary>
    Orphan,
}

/// <summary>The meta/v1 DeleteOptions body.</summary>
public sealed record DeleteOptions
{
    [JsonPropertyOrder(-2)]
    public string ApiVersion { get; init; } = "v1";

    [JsonPropertyOrder(-1)]
    public string Kind { get; init; } = "DeleteOptions";

    [JsonConverter(typeof(JsonStringEnumConverter<PropagationPolicy>))]
    public PropagationPolicy? PropagationPolicy { get; init; }

    public Preconditions? Preconditions { get; init; }
    public long? GracePeriodSeconds { get; init; }

    /// <summary>["All"] to validate without deleting.</summary>
    public List<string>? DryRun { get; init; }

    /// <summary>Jobs must be deleted like this, or their pods are orphaned.</summary>
    public static DeleteOptions Background { get; } = new() { PropagationPolicy = Kubernetes.PropagationPolicy.Background };
}

/// <summary>Delete only if the object still has this uid / resourceVersion (else 409 Conflict).</summary>
public sealed record Preconditions
{
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
}

public enum PatchType
{
    /// <summary>RFC 7386 <c>application/merge-patch+json</c>: maps merge, null deletes, arrays are replaced.</summary>
    Merge,

    /// <summary>RFC 6902 <c>application/json-patch+json</c>: a list of operations.</summary>
    Json,

    /// <summary><c>application/strategic-merge-patch+json</c>: built-in kinds only (lists merge by key).</summary>
    StrategicMerge,

    /// <summary>Server-side apply <c>application/apply-patch+yaml</c>: the full intent, owned by a field manager.</summary>
    Apply,
}

/// <summary>A PATCH body with its type.</summary>
public sealed record KubePatch(PatchType Type, string Body)
{
    public string ContentType => Type switch
    {
        PatchType.Merge => "application/merge-patch+json",
        PatchType.Json => "application/json-patch+json",
        PatchType.StrategicMerge => "application/strategic-merge-patch+json",
        PatchType.Apply => "application/apply-patch+yaml",
        _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, "unknown patch type"),
    };

    /// <summary>A merge patch from any JSON-serializable value (a JsonObject, an anonymous object or a DTO).</summary>
    public static KubePatch Merge(object patch) => new(PatchType.Merge, Serialize(patch));

    public static KubePatch StrategicMerge(object patch) => new(PatchType.StrategicMerge, Serialize(patch));

    /// <summary>RFC 6902 operations, e.g. <c>[{"op":"replace","path":"/spec/suspend","value":true}]</c>.</summary>
    public static KubePatch Json(JsonArray operations) => new(PatchType.Json, operations.ToJsonString());

    /// <summary>Server-side apply of the full intent (JSON is valid YAML).</summary>
    public static KubePatch Apply(object intent) => new(PatchType.Apply, Serialize(intent));

    private static string Serialize(object value) => value switch
    {
        JsonNode node => node.ToJsonString(KubeJson.Options),
        _ => JsonSerializer.Serialize(value, value.GetType(), KubeJson.Options),
    };
}

/// <summary>Query options of <c>pods/{name}/log</c>.</summary>
public sealed record PodLogOptions
{
    public string? Container { get; init; }
    public bool Follow { get; init; }
    public bool Previous { get; init; }
    public long? SinceSeconds { get; init; }
    public long? TailLines { get; init; }
    public long? LimitBytes { get; init; }
    public bool Timestamps { get; init; }
}

/// <summary>Builds selector strings in the API's syntax.</summary>
public static class Selectors
{
    /// <summary><c>k1=v1,k2=v2</c> (AND of equalities), keys in ordinal order so requests are stable.</summary>
    public static string LabelsEqual(IEnumerable<KeyValuePair<string, string>> labels) =>
        string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    public static string LabelEquals(string key, string value) => $"{key}={value}";

    /// <summary><c>metadata.name=NAME</c>: list or watch one object.</summary>
    public static string ByName(string name) => $"metadata.name={name}";
}
