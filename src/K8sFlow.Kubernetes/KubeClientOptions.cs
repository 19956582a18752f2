using K8sFlow.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Kubernetes;

public sealed record KubeClientOptions
{
    /// <summary>The namespace callers use when they have none (the kubeconfig context's, or "default").</summary>
    public string DefaultNamespace { get; init; } = "default";

    /// <summary>Field manager sent with writes unless a request names another.</summary>
    public string FieldManager { get; init; } = "k8sflow";

    public string UserAgent { get; init; } = "k8sflow";

    /// <summary>Limit of one non-watch attempt (watches run until the server or the caller ends them).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public KubeRetryOptions Retry { get; init; } = new();

    /// <summary>Sees every HTTP attempt (also retries): counts API requests per task, per reconcile...</summary>
    public IKubeRequestObserver? RequestObserver { get; init; }

    /// <summary>Clock for retry delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILogger? Logger { get; init; }
}

/// <summary>
/// Retries of 429, 5xx and connection failures: GET, PUT, PATCH and DELETE always; POST (create)
/// only when the connection could not be established, so an object is never created twice.
/// </summary>
public sealed record KubeRetryOptions
{
    /// <summary>Retries after the first attempt; 0 disables retrying.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff; it doubles with jitter on each retry.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A longer Retry-After from the server is cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);
}

public enum KubeVerb
{
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
}

/// <summary>
/// One HTTP attempt against the API. StatusCode is null when no response arrived (connection
/// failure, timeout); Attempt is 1 for the first try, 2 for the first retry...
/// </summary>
public sealed record KubeRequestRecord(
    KubeVerb Verb,
    ResourceKind Kind,
    string? Namespace,
    string? Name,
    string? Subresource,
    int? StatusCode,
    int Attempt,
    TimeSpan Duration);

public interface IKubeRequestObserver
{
    /// <summary>Called after every attempt; must be fast and thread-safe.</summary>
    void OnRequest(KubeRequestRecord request);
}

/// <summary>A thread-safe request counter, total and per verb.</summary>
public sealed class KubeRequestCounter : IKubeRequestObserver
{
    private readonly long[] _byVerb = new long[Enum.GetValues<KubeVerb>().Length];

    public long Total => Enum.GetValues<KubeVerb>().Sum(Count);

    public long Count(KubeVerb verb) => Interlocked.Read(ref _byVerb[(int)verb]);

    public void OnRequest(KubeRequestRecord request) => Interlocked.Increment(ref _byVerb[(int)request.Verb]);
}
