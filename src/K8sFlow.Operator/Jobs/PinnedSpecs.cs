using System.Collections.Concurrent;
using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.Jobs;

/// <summary>What reading a run's pinned spec found: the spec, or why there is none.</summary>
public sealed record PinnedSpecResult(DagSpec? Spec, string? Error)
{
    public static PinnedSpecResult NotPinned { get; } = new(null, null);
}

/// <summary>
/// A run's pinned Dag spec lives in an immutable ConfigMap the run owns (<see cref="JobFactory.PinnedSpecName"/>,
/// key <see cref="Key"/>), not in its status: a 10,000-task spec alone would outgrow a DagRun object. The operator
/// keeps the specs of runs it works on in memory (they never change), so a reconcile reads the API only after a
/// restart.
/// </summary>
public sealed class PinnedSpecs
{
    public const string Key = "dagSpec.json";

    private readonly ConcurrentDictionary<string, DagSpec> _byRunUid = new(StringComparer.Ordinal);

    /// <summary>The ConfigMap pinning <paramref name="spec"/> for <paramref name="run"/> (deleted with the run).</summary>
    public static ConfigMap Build(DagRun run, DagSpec spec) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = JobFactory.PinnedSpecName(run.Metadata.Name!),
            Namespace = run.Metadata.Namespace,
            Labels = JobFactory.RunLabels(run),
            OwnerReferences = [JobFactory.OwnerReferenceTo(run)],
        },
        Data = new Dictionary<string, string>(StringComparer.Ordinal) { [Key] = JsonSerializer.Serialize(spec, K8sFlowJson.Options) },
        Immutable = true,
    };

    /// <summary>The spec a pinning ConfigMap holds, or an error naming the ConfigMap.</summary>
    public static PinnedSpecResult Parse(ConfigMap configMap)
    {
        var name = configMap.Metadata.Name;
        if (configMap.Data?.GetValueOrDefault(Key) is not { } json)
        {
            return new(null, $"ConfigMap {name} has no {Key}");
        }
        try
        {
            return JsonSerializer.Deserialize<DagSpec>(json, K8sFlowJson.Options) is { } spec
                ? new(spec, null)
                : new(null, $"ConfigMap {name}: {Key} is null");
        }
        catch (JsonException e)
        {
            return new(null, $"ConfigMap {name}: {Key} is not a Dag spec: {e.Message}");
        }
    }

    /// <summary>
    /// Reads the spec <paramref name="run"/> pinned: <see cref="PinnedSpecResult.NotPinned"/> before its first reconcile,
    /// an error when the ConfigMap is gone or is not this run's.
    /// </summary>
    public static async Task<PinnedSpecResult> ReadAsync(IKubeClient client, DagRun run, CancellationToken cancellationToken)
    {
        if (run.Status?.DagSpecConfigMap is not { } name)
        {
            return PinnedSpecResult.NotPinned;
        }
        var configMap = await client.TryGetAsync(KubeKinds.ConfigMap, run.Metadata.Namespace, name, cancellationToken).ConfigureAwait(false);
        if (configMap is null)
        {
            return new(null, $"the run's pinned Dag spec (ConfigMap {name}) is gone");
        }
        if (!IsOwnedBy(configMap, run))
        {
            return new(null, $"ConfigMap {name} does not belong to this run");
        }
        return Parse(configMap);
    }

    /// <summary>Like <see cref="ReadAsync"/>, served from memory after the first read.</summary>
    public async Task<PinnedSpecResult> GetAsync(IKubeClient client, DagRun run, CancellationToken cancellationToken)
    {
        var uid = run.Metadata.Uid ?? "";
        if (_byRunUid.TryGetValue(uid, out var known))
        {
            return new(known, null);
        }
        var read = await ReadAsync(client, run, cancellationToken).ConfigureAwait(false);
        if (read.Spec is not null)
        {
            _byRunUid[uid] = read.Spec;
        }
        return read;
    }

    /// <summary>Remembers what this operator just pinned (saves the read back).</summary>
    public void Remember(DagRun run, DagSpec spec) => _byRunUid[run.Metadata.Uid ?? ""] = spec;

    /// <summary>The run is gone or finished: free its spec (a later reconcile reads it again).</summary>
    public void Forget(DagRun run) => _byRunUid.TryRemove(run.Metadata.Uid ?? "", out _);

    public static bool IsOwnedBy(KubernetesObject obj, DagRun run) =>
        obj.Metadata.OwnerReferences?.Any(o => o.Uid == run.Metadata.Uid && o.Controller == true) == true;
}
