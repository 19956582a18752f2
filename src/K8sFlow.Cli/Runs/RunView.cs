using System.Globalization;
using System.Text.Json;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core.Api;

namespace K8sFlow.Cli.Runs;

/// <summary>One task's row as <c>k8sflow run</c> shows it (Dag order; tasks the run has not reached are <c>none</c>).</summary>
public sealed record TaskRow(string Name, TaskState State, int TryNumber, TimeSpan? Duration, IReadOnlyDictionary<string, string> Outputs);

/// <summary>What the progress display and the summary read from a DagRun: one place for state names, durations and outputs.</summary>
public static class RunView
{
    /// <summary>Airflow's name of a state (<c>upstream_failed</c>), as the DagRun's JSON spells it.</summary>
    public static string StateName(TaskState state) => JsonSerializer.Serialize(state, K8sFlowJson.Options).Trim('"');

    /// <summary>The run's tasks in the Dag's order; <paramref name="now"/> measures the tasks still running.</summary>
    public static IReadOnlyList<TaskRow> Tasks(Dag dag, DagRun run, DateTimeOffset now)
    {
        var byName = (PinnedRun.Expand(run, dag.Spec).Status?.Tasks ?? []).ToDictionary(t => t.Name, StringComparer.Ordinal);
        return dag.Spec.Tasks.Select(spec =>
        {
            if (!byName.TryGetValue(spec.Name, out var task))
            {
                return new TaskRow(spec.Name, TaskState.None, 0, null, new Dictionary<string, string>());
            }
            TimeSpan? duration = task.StartTime is { } start ? (task.EndTime ?? now) - start : null;
            return new TaskRow(spec.Name, task.State, task.TryNumber, duration, task.Outputs ?? new Dictionary<string, string>());
        }).ToList();
    }

    /// <summary>The run's duration so far (or in all, once it ended); null before it started.</summary>
    public static TimeSpan? Duration(DagRun run, DateTimeOffset now) =>
        run.Status?.StartTime is { } start ? (run.Status.EndTime ?? now) - start : null;

    /// <summary>"850ms", "12.3s", "2m05s".</summary>
    public static string FormatDuration(TimeSpan? duration) => duration switch
    {
        null => "",
        { TotalSeconds: < 1 } d => $"{Math.Max(0, (int)d.TotalMilliseconds)}ms",
        { TotalMinutes: < 1 } d => d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",
        var d => $"{(int)d.Value.TotalMinutes}m{d.Value.Seconds:00}s",
    };

    /// <summary><c>accuracy=0.97 f1_score=0.96</c>: outputs on one line, as the run's status holds them.</summary>
    public static string FormatOutputs(IReadOnlyDictionary<string, string> outputs) =>
        string.Join(' ', outputs.Select(o => $"{o.Key}={o.Value}"));

    public static bool IsFinished(DagRun run) => run.Status?.Phase is RunPhase.Succeeded or RunPhase.Failed;
}
