using K8sFlow.Core.Api;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>
/// DagRuns this controller created that the DagRun informer has not shown yet (client-go's
/// "expectations"). Between a create and its watch event a second pass could otherwise miss the new run
/// and start another @continuous run. Entries leave when the informer shows the run, when their Dag goes,
/// or after a timeout (a run deleted before the informer saw it). Lost on restart, which is harmless: a
/// new instance begins from a fresh LIST that holds every run. Thread-safe.
/// </summary>
internal sealed class RunsInFlight(TimeProvider time, TimeSpan timeout)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, (DagRun Run, DateTimeOffset CreatedAt)>> _byDag = new(StringComparer.Ordinal);

    public void Add(string dagKey, DagRun created)
    {
        lock (_lock)
        {
            if (!_byDag.TryGetValue(dagKey, out var runs))
            {
                _byDag[dagKey] = runs = new Dictionary<string, (DagRun, DateTimeOffset)>(StringComparer.Ordinal);
            }
            runs[created.Metadata.Name!] = (created, time.GetUtcNow());
        }
    }

    /// <summary>The runs of <paramref name="dagKey"/> still unseen; drops those the cache has or that timed out.</summary>
    public IReadOnlyList<DagRun> Unseen(string dagKey, Func<string, bool> isCached)
    {
        lock (_lock)
        {
            if (!_byDag.TryGetValue(dagKey, out var runs))
            {
                return [];
            }
            var now = time.GetUtcNow();
            foreach (var (name, entry) in runs.ToList())
            {
                if (isCached(name) || now - entry.CreatedAt >= timeout)
                {
                    runs.Remove(name);
                }
            }
            if (runs.Count == 0)
            {
                _byDag.Remove(dagKey);
            }
            return [.. runs.Values.Select(e => e.Run)];
        }
    }

    public void Forget(string dagKey)
    {
        lock (_lock)
        {
            _byDag.Remove(dagKey);
        }
    }
}
