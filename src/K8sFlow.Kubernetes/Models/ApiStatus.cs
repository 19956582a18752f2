namespace K8sFlow.Kubernetes.Models;

/// <summary>
/// The meta/v1 <c>Status</c> kind: the body of every API error, of some DELETE responses and of
/// watch ERROR events.
/// </summary>
public sealed record ApiStatus
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Status";
    public ListMeta Metadata { get; init; } = new();

    /// <summary>Success or Failure.</summary>
    public string? Status { get; init; }

    public string? Message { get; init; }

    /// <summary>NotFound, AlreadyExists, Conflict, Expired, Gone, Invalid, TooManyRequests...</summary>
    public string? Reason { get; init; }

    public StatusDetails? Details { get; init; }

    /// <summary>The HTTP status code.</summary>
    public int Code { get; init; }
}

public sealed record StatusDetails
{
    public string? Name { get; init; }
    public string? Group { get; init; }

    /// <summary>The resource (plural) the error is about, e.g. "dagruns".</summary>
    public string? Kind { get; init; }

    public string? Uid { get; init; }
    public List<StatusCause>? Causes { get; init; }
    public int? RetryAfterSeconds { get; init; }
}

public sealed record StatusCause
{
    /// <summary>FieldValueRequired, FieldValueInvalid, FieldManagerConflict...</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }

    /// <summary>The field path, e.g. "spec.dagName".</summary>
    public string? Field { get; init; }
}
