namespace K8sFlow.LocalCluster.Store;

/// <summary>How unknown fields in a custom resource are treated (the <c>fieldValidation</c> query parameter).</summary>
public enum FieldValidation
{
    /// <summary>Drop unknown fields silently.</summary>
    Ignore,

    /// <summary>Drop unknown fields and report each as a warning (the server default).</summary>
    Warn,

    /// <summary>Refuse the request with 400 BadRequest naming the unknown fields.</summary>
    Strict,
}

/// <summary>The four PATCH body formats of the Kubernetes API.</summary>
public enum PatchType
{
    /// <summary><c>application/json-patch+json</c> (RFC 6902).</summary>
    Json,

    /// <summary><c>application/merge-patch+json</c> (RFC 7386).</summary>
    Merge,

    /// <summary><c>application/strategic-merge-patch+json</c>: built-in kinds only.</summary>
    StrategicMerge,

    /// <summary><c>application/apply-patch+yaml</c>: server-side apply; needs a field manager.</summary>
    Apply,
}

/// <summary>What happens to the dependents (ownerReferences) of a deleted object.</summary>
public enum PropagationPolicy
{
    /// <summary>Delete the owner now and its dependents right after.</summary>
    Background,

    /// <summary>Keep the owner (deletionTimestamp + foregroundDeletion finalizer) until blocking dependents are gone.</summary>
    Foreground,

    /// <summary>Delete only the owner; dependents lose their ownerReference.</summary>
    Orphan,
}

/// <summary>Options shared by every write.</summary>
public record WriteOptions
{
    /// <summary>Recorded in metadata.managedFields; required for <see cref="PatchType.Apply"/>.</summary>
    public string? FieldManager { get; init; }

    /// <summary>Validate and return the result without saving it (<c>dryRun=All</c>).</summary>
    public bool DryRun { get; init; }

    public FieldValidation FieldValidation { get; init; } = FieldValidation.Warn;

    /// <summary>The API version the caller speaks, e.g. "v1alpha1"; null means the storage version.</summary>
    public string? Version { get; init; }
}

/// <summary>Options of a PATCH.</summary>
public sealed record PatchOptions : WriteOptions
{
    /// <summary>Server-side apply only: take fields owned by other managers instead of failing with 409.</summary>
    public bool Force { get; init; }

    /// <summary>"status" to patch the status subresource; null for the main resource.</summary>
    public string? Subresource { get; init; }
}

/// <summary>Options of a DELETE (the DeleteOptions body or query parameters).</summary>
public sealed record DeleteOptions
{
    /// <summary>Null means the resource's default: Orphan for batch/v1 Jobs, Background otherwise.</summary>
    public PropagationPolicy? PropagationPolicy { get; init; }

    /// <summary>Delete only if the object still has this uid.</summary>
    public string? PreconditionUid { get; init; }

    /// <summary>Delete only if the object still has this resourceVersion.</summary>
    public string? PreconditionResourceVersion { get; init; }

    /// <summary>Pods only, and only with <see cref="ClusterStoreOptions.GracefulPodDeletion"/>: 0 deletes at once.</summary>
    public long? GracePeriodSeconds { get; init; }

    public bool DryRun { get; init; }
}

/// <summary>Options of a LIST.</summary>
public sealed record ListOptions
{
    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }

    /// <summary>Page size; the result then carries a continue token when more items remain.</summary>
    public int? Limit { get; init; }

    /// <summary>The token of the previous page: the page comes from the same snapshot.</summary>
    public string? Continue { get; init; }
}

/// <summary>Options of a WATCH.</summary>
public sealed record WatchOptions
{
    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }

    /// <summary>Null or "0": synthetic ADDED events for the current objects first. "N": the changes after N.</summary>
    public string? ResourceVersion { get; init; }

    /// <summary>
    /// The events' objects are shared with other such watchers and must not be changed: one copy per change instead
    /// of one per watcher. For readers that only serialize or read (the HTTP API).
    /// </summary>
    public bool SharedObjects { get; init; }
}

/// <summary>Settings of a <see cref="ClusterStore"/>.</summary>
public sealed record ClusterStoreOptions
{
    /// <summary>Clock for timestamps and ages; tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How many past changes a watch may resume from; older versions get 410 Expired.</summary>
    public int HistoryWindow { get; init; } = 10_000;

    /// <summary>Events a watcher may fall behind before its stream is closed (it then re-watches).</summary>
    public int WatchBufferSize { get; init; } = 1_000;

    /// <summary>How long the snapshot behind a continue token is kept.</summary>
    public TimeSpan ContinueTokenLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// When true, deleting a pod with a grace period only marks it (deletionTimestamp +
    /// deletionGracePeriodSeconds) and a kubelet stand-in finishes with a delete at grace 0.
    /// Without a kubelet (the default) pods are deleted at once.
    /// </summary>
    public bool GracefulPodDeletion { get; init; }

    /// <summary>Seed for generated names (generateName suffixes); null uses a random seed.</summary>
    public int? NameSeed { get; init; }
}
