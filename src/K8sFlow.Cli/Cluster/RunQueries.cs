using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Cli.Cluster;

/// <summary>The reads and waits the day-2 commands share.</summary>
public static class RunQueries
{
    public static bool IsFinal(DagRun run) => run.Status?.Phase is RunPhase.Succeeded or RunPhase.Failed;

    /// <summary>The runs of one Dag (all Dags when null), newest first (logical date, then creation).</summary>
    public static async Task<IReadOnlyList<DagRun>> ListRunsAsync(ClusterSession session, string? dagName, CancellationToken cancellationToken)
    {
        var runs = await session.Client.ListAllAsync(KubeKinds.DagRun, session.Namespace, cancellationToken: cancellationToken);
        return [.. runs.Items
            .Where(r => dagName is null || r.Spec.DagName == dagName)
            .OrderByDescending(r => r.Status?.LogicalDate ?? r.Spec.LogicalDate ?? r.Metadata.CreationTimestamp)
            .ThenByDescending(r => r.Metadata.CreationTimestamp)
            .ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)];
    }

    /// <summary>Watches the run until its phase is Succeeded or Failed; null when it was deleted meanwhile.</summary>
    public static async Task<DagRun?> WaitForFinalAsync(ClusterSession session, string runName, CancellationToken cancellationToken)
    {
        while (true)
        {
            var run = await session.Client.TryGetAsync(KubeKinds.DagRun, session.Namespace, runName, cancellationToken);
            if (run is null || IsFinal(run))
            {
                return run;
            }
            var options = new WatchOptions
            {
                ResourceVersion = run.Metadata.ResourceVersion,
                FieldSelector = Selectors.ByName(runName),
                TimeoutSeconds = 60,
            };
            await foreach (var change in session.Client.WatchAsync(KubeKinds.DagRun, session.Namespace, options, cancellationToken))
            {
                if (change.Type == WatchEventType.Deleted)
                {
                    return null;
                }
                if (change.Object is { } updated && IsFinal(updated))
                {
                    return updated;
                }
                if (change.Type == WatchEventType.Error)
                {
                    break; // expired: read the run again and watch from there
                }
            }
        }
    }
}
