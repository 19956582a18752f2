using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Benchmarks.Measuring;

/// <summary>
/// What the harness reads from one version of a DagRun: the one place that knows where task states live in the
/// status, so a change of the status format touches only <see cref="Read"/>.
/// </summary>
internal sealed record RunSnapshot(string Name, string DagName, RunPhase? Phase, string? Reason, IReadOnlyDictionary<string, TaskState> TaskStates)
{
    public static RunSnapshot Read(JsonObject dagRun)
    {
        var run = dagRun.Deserialize<DagRun>(KubeJson.Options)!;
        var states = new Dictionary<string, TaskState>(StringComparer.Ordinal);
        foreach (var task in run.Status?.Tasks ?? [])
        {
            states[task.Name] = task.State;
        }
        var reason = run.Status?.Conditions?.FirstOrDefault()?.Reason;
        return new RunSnapshot(run.Metadata.Name ?? "", run.Spec.DagName, run.Status?.Phase, reason, states);
    }
}
