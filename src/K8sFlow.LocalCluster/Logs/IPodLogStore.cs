namespace K8sFlow.LocalCluster.Logs;

/// <summary>One log line of a container, with the time it was written.</summary>
public sealed record LogLine(DateTimeOffset Timestamp, string Text);

/// <summary>The query parameters of GET .../pods/{name}/log, minus the container name.</summary>
public sealed record PodLogOptions
{
    /// <summary>Keep streaming new lines until the container terminates.</summary>
    public bool Follow { get; init; }

    /// <summary>Read the previous (terminated) run of the container.</summary>
    public bool Previous { get; init; }

    /// <summary>Only lines written in the last N seconds.</summary>
    public long? SinceSeconds { get; init; }

    /// <summary>Only lines written at or after this time (sinceSeconds wins when both are set).</summary>
    public DateTimeOffset? SinceTime { get; init; }

    /// <summary>Prefix each line with its RFC3339Nano timestamp and a space.</summary>
    public bool Timestamps { get; init; }

    /// <summary>Start with only the last N existing lines.</summary>
    public long? TailLines { get; init; }

    /// <summary>Stop after this many bytes.</summary>
    public long? LimitBytes { get; init; }
}

/// <summary>
/// Per-pod container logs, written by whoever runs the containers (the local job runner) and read by
/// the pod log endpoint. Each container keeps its current run and the previous one (restarts).
/// </summary>
public interface IPodLogStore
{
    /// <summary>A container (re)starts: the current run becomes the previous one and a new, empty run begins.</summary>
    void StartContainer(string ns, string pod, string container);

    /// <summary>Appends one line (without its newline); the timestamp defaults to now. Starts the container if needed.</summary>
    void Append(string ns, string pod, string container, string line, DateTimeOffset? timestamp = null);

    /// <summary>The container's current run ended: followers get the remaining lines and then the end of the stream.</summary>
    void MarkTerminated(string ns, string pod, string container);

    /// <summary>Forgets a deleted pod's logs (followers end).</summary>
    void RemovePod(string ns, string pod);

    /// <summary>True when the container has started (or, with <paramref name="previous"/>, has a previous run).</summary>
    bool HasLog(string ns, string pod, string container, bool previous = false);

    /// <summary>The lines of the current (or previous) run so far.</summary>
    IReadOnlyList<LogLine> Lines(string ns, string pod, string container, bool previous = false);

    /// <summary>The log text as the endpoint serves it, chunk by chunk; with Follow it ends when the run terminates.</summary>
    IAsyncEnumerable<string> StreamAsync(string ns, string pod, string container, PodLogOptions options, CancellationToken cancellationToken = default);
}
