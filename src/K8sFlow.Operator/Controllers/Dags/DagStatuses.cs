using System.Text.Json;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>The Dag's Ready condition and status comparison.</summary>
internal static class DagStatuses
{
    public const string Ready = "Ready";

    /// <summary>Ready=True: the Dag passed validation and is scheduled.</summary>
    public const string ValidReason = "Valid";

    /// <summary>Ready=False: validation failed; no runs are created until the spec is fixed.</summary>
    public const string InvalidReason = "Invalid";

    /// <summary>
    /// <paramref name="previous"/>'s conditions with Ready set. lastTransitionTime moves only when the
    /// condition's status changes (Kubernetes convention); other condition types are kept as they are.
    /// </summary>
    public static List<Condition> WithReady(DagStatus? previous, bool ready, string reason, string message, long? generation,
        DateTimeOffset now)
    {
        var status = ready ? "True" : "False";
        var old = previous?.Conditions?.FirstOrDefault(c => c.Type == Ready);
        var condition = new Condition
        {
            Type = Ready,
            Status = status,
            Reason = reason,
            Message = message,
            LastTransitionTime = old is not null && old.Status == status ? old.LastTransitionTime : now,
            ObservedGeneration = generation,
        };
        return [.. (previous?.Conditions ?? []).Where(c => c.Type != Ready), condition];
    }

    /// <summary>The Dag already says Invalid for its current generation (its Warning event went out with it).</summary>
    public static bool IsMarkedInvalid(Dag dag) =>
        dag.Status?.Conditions?.FirstOrDefault(c => c.Type == Ready) is { Status: "False", Reason: InvalidReason } ready
        && ready.ObservedGeneration == dag.Metadata.Generation;

    /// <summary>
    /// One entry of status.nextRuns: when the run is due, and its logical date when that differs
    /// (dataInterval timetables), the date Airflow users most often misread (spec "What confuses").
    /// </summary>
    public static string NextRunEntry(PlannedRun run) =>
        run.LogicalDate == run.RunAfter
            ? Names.FormatIso(run.RunAfter)
            : $"{Names.FormatIso(run.RunAfter)} (logical date {Names.FormatIso(run.LogicalDate)})";

    /// <summary>Structural equality through the wire form (the records hold lists, which compare by reference).</summary>
    public static bool Same(DagStatus? current, DagStatus next) =>
        current is not null && JsonSerializer.Serialize(current, KubeJson.Options) == JsonSerializer.Serialize(next, KubeJson.Options);
}
