using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Benchmarks.Measuring;

/// <summary>
/// What the harness reads from one version of a DagRun: the one place that knows where task states live in the
/// status, so a change of the status format touches only <see cref="Read"/>.
/// </summary>
internal sealed record RunSnapshot(string Name, string DagName, RunPhase? Phase, string? Reason, IReadOnlyDictionary<string, TaskState> TaskStates)
{
    /// <param name="dagRun">One DagRun as the watch delivered it.</param>
    /// <param name="specOf">The spec of a Dag by name (the harness created them): compact records name tasks by index.</param>
    public static RunSnapshot Read(JsonObject dagRun, Func<string, DagSpec?> specOf)
    {
        var run = dagRun.Deserialize<DagRun>(KubeJson.Options)!;
        var status = run.Status is { } s && specOf(run.Spec.DagName) is { } spec ? TaskRecords.Expand(s, spec, run.Metadata.Name ?? "") : run.Status;
        var states = new Dictionary<string, TaskState>(StringComparer.Ordinal);
        foreach (var task in (status?.Tasks ?? []).Where(t => t.State != TaskState.None))
        {
            states[task.Name] = task.State;
        }
        var reason = run.Status?.Conditions?.FirstOrDefault()?.Reason;
        return new RunSnapshot(run.Metadata.Name ?? "", run.Spec.DagName, run.Status?.Phase, reason, states);
    }
}
