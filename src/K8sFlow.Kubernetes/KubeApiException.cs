using System.Net;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes;

/// <summary>
/// An error the API server answered with (a Status body, or a bare HTTP error). The message names
/// the request (method and path), the code, the reason and the server's message.
/// </summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException(ApiStatus status, string method, string path)
        : base(Describe(status, method, path))
    {
        Status = status;
        Method = method;
        Path = path;
    }

    /// <summary>The server's Status (synthesized from the HTTP code when the body was not one).</summary>
    public ApiStatus Status { get; }

    public string Method { get; }
    public string Path { get; }

    /// <summary>The HTTP status code.</summary>
    public int Code => Status.Code;

    /// <summary>NotFound, AlreadyExists, Conflict, Expired, Gone, Invalid, TooManyRequests...</summary>
    public string Reason => Status.Reason ?? "";

    /// <summary>The server's message without the request description.</summary>
    public string ServerMessage => Status.Message ?? "";

    /// <summary>Field-level causes (422 Invalid, FieldManagerConflict...).</summary>
    public IReadOnlyList<StatusCause> Causes => Status.Details?.Causes ?? [];

    public bool IsNotFound => Code == (int)HttpStatusCode.NotFound;

    /// <summary>409 from a stale resourceVersion or a field-manager conflict (not AlreadyExists).</summary>
    public bool IsConflict => Code == (int)HttpStatusCode.Conflict && Reason != "AlreadyExists";

    public bool IsAlreadyExists => Code == (int)HttpStatusCode.Conflict && Reason == "AlreadyExists";

    /// <summary>410: the resourceVersion or continue token expired; re-list.</summary>
    public bool IsGone => Code == (int)HttpStatusCode.Gone;

    /// <summary>The reason Kubernetes uses for a bare HTTP code (a body that was not a Status).</summary>
    public static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };

    private static string Describe(ApiStatus status, string method, string path)
    {
        var causes = status.Details?.Causes is { Count: > 0 } list
            ? " (" + string.Join("; ", list.Select(c => c.Field is null ? c.Message : $"{c.Field}: {c.Message}")) + ")"
            : "";
        return $"{method} {path}: {status.Code} {status.Reason}: {status.Message}{causes}";
    }
}
