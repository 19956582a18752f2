using System.CommandLine;
using System.Text.Json;
using K8sFlow.Cli.Cluster;
using K8sFlow.Cli.Graphs;
using K8sFlow.Core.Api;

namespace K8sFlow.Cli.Commands;

/// <summary><c>k8sflow status RUN</c>: the run's phase, its task table (task, state, try, start, duration, reason) and conditions.</summary>
public static class StatusCommand
{
    public static readonly IReadOnlyList<string> TaskHeaders = ["task", "state", "try", "start", "duration", "reason"];

    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var runName = new Argument<string>("run") { Description = "The DagRun's name" };
        var command = cluster.AddTo(new Command("status", "Show a DagRun's tasks and conditions") { runName });
        cluster.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var name = parse.GetValue(runName)!;
            var run = await PinnedRun.GetAsync(session.Client, session.Namespace, name, cancellationToken);
            if (run is null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"k8sflow status: DagRun {name} not found in namespace {session.Namespace}");
                return ExitCodes.Invalid;
            }
            // Colours only for a person at a terminal (and never with NO_COLOR set, per no-color.org).
            var colour = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
            Write(run, DateTimeOffset.UtcNow, parse.InvocationConfiguration.Output, colour);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void Write(PinnedRun pinned, DateTimeOffset now, TextWriter output, bool colour = false)
    {
        var (run, spec) = (pinned.Run, pinned.Spec);
        var status = run.Status;
        output.WriteLine($"DagRun {run.Metadata.Name} (Dag {run.Spec.DagName}, {status?.RunId ?? "no run id yet"})");
        output.WriteLine($"Phase: {status?.Phase?.ToString() ?? "Pending"}   Progress: {status?.Progress ?? "-"}   " +
            $"Duration: {TextTable.Duration(status?.StartTime, status?.EndTime, now)}");
        output.WriteLine();
        TextTable.Write(output, TaskHeaders, TaskNames(pinned).Select(task =>
        {
            var instance = status?.Tasks?.FirstOrDefault(t => t.Name == task) ?? new TaskInstanceStatus { Name = task };
            return (IReadOnlyList<string>)
            [
                task,
                StateName(instance.State),
                instance.TryNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                TextTable.Time(instance.StartTime),
                TextTable.Duration(instance.StartTime, instance.EndTime, now),
                instance.Reason ?? instance.Message ?? "",
            ];
        }));
        if (status is not null && spec is not null)
        {
            // The graph with each task's state, coloured like Airflow's graph view (green success, red failed...).
            output.WriteLine();
            var states = (status.Tasks ?? []).ToDictionary(t => t.Name, t => t.State, StringComparer.Ordinal);
            output.Write(GraphRenderer.Ascii(new Dag { Metadata = new ObjectMeta { Name = run.Spec.DagName }, Spec = spec }, task =>
            {
                var state = states.GetValueOrDefault(task);
                var text = $"{task} ({StateName(state)})";
                return colour ? $"\u001b[{AnsiColour(state)}m{text}\u001b[0m" : text;
            }));
        }
        if (status?.Conditions is { Count: > 0 } conditions)
        {
            output.WriteLine();
            TextTable.Write(output, ["condition", "status", "reason", "message"],
                conditions.Select(c => (IReadOnlyList<string>)[c.Type, c.Status, c.Reason ?? "", c.Message ?? ""]));
        }
    }

    /// <summary>ANSI SGR colour of a state, after Airflow's graph view.</summary>
    private static string AnsiColour(TaskState state) => state switch
    {
        TaskState.Success => "32",                                  // green
        TaskState.Failed or TaskState.UpstreamFailed => "31",       // red
        TaskState.Running => "92",                                  // light green
        TaskState.Queued or TaskState.Scheduled => "90;1",          // bold grey
        TaskState.UpForRetry or TaskState.UpForReschedule => "33",  // yellow
        TaskState.Skipped => "95",                                  // pink
        _ => "37",                                                  // none, removed: white
    };

    /// <summary>Airflow's name of a state, as status carries it (up_for_retry).</summary>
    public static string StateName(TaskState state) => JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());

    /// <summary>The tasks in the pinned Dag's order, then any status entry the spec does not name.</summary>
    private static IEnumerable<string> TaskNames(PinnedRun pinned)
    {
        var fromSpec = pinned.Spec?.Tasks.Select(t => t.Name) ?? [];
        var fromStatus = pinned.Run.Status?.Tasks?.Select(t => t.Name) ?? [];
        return fromSpec.Concat(fromStatus).Distinct(StringComparer.Ordinal);
    }
}
