using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Jobs;

namespace K8sFlow.Cli.Cluster;

/// <summary>
/// A DagRun as the CLI shows it: the spec it pinned (null before its first reconcile) and every task's record
/// (compact records of large runs expanded).
/// </summary>
public sealed record PinnedRun(DagRun Run, DagSpec? Spec)
{
    /// <summary>The run <paramref name="name"/> with its pinned spec; null when the run does not exist.</summary>
    public static async Task<PinnedRun?> GetAsync(IKubeClient client, string @namespace, string name, CancellationToken cancellationToken)
    {
        var run = await client.TryGetAsync(KubeKinds.DagRun, @namespace, name, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return null;
        }
        var spec = (await PinnedSpecs.ReadAsync(client, run, cancellationToken).ConfigureAwait(false)).Spec;
        return new PinnedRun(Expand(run, spec), spec);
    }

    /// <summary>The run with every task's record (as is without a spec: compact records need it).</summary>
    public static DagRun Expand(DagRun run, DagSpec? spec) =>
        run.Status is { } status && spec is not null
            ? run with { Status = TaskRecords.Expand(status, spec, run.Metadata.Name!) }
            : run;
}
