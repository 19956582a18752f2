using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using K8sFlow.Core;
using K8sFlow.Core.Scheduling;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow schedule FILE [--now T] [--next N] [--output table|json]</c>: the runs a Dag with no runs yet
/// would get at <c>--now</c> (catch-up applied, spec §1.4) and the N planned after them, without a cluster.
/// JSON: <c>{"due": [...], "next": [...]}</c>, each entry with logicalDate, dataIntervalStart,
/// dataIntervalEnd, runAfter, runId.
/// </summary>
public static class ScheduleCommand
{
    /// <summary>The same cap the Dag controller applies per pass, so the CLI shows what the operator would do.</summary>
    public const int DefaultMaxRunsPerPass = 100;

    public static Command Create()
    {
        var path = new Argument<string>("file") { Description = "A manifest file holding the Dag" };
        var dagName = new Option<string?>("--dag") { Description = "The Dag to plan when the file holds several" };
        var now = new Option<string?>("--now") { Description = "Evaluate at this time (ISO 8601, e.g. 2025-01-31T15:00:00Z); default: the current time" };
        var next = new Option<int>("--next") { Description = "How many upcoming runs to list", DefaultValueFactory = _ => 5 };
        var maxRuns = new Option<int>("--max-runs") { Description = "Catch-up cap per pass", DefaultValueFactory = _ => DefaultMaxRunsPerPass };
        var output = new Option<string>("--output", "-o") { Description = "table or json", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json");
        var command = new Command("schedule", "Show the runs a Dag's schedule creates (catch-up, DST, timetables)")
        {
            path, dagName, now, next, maxRuns, output,
        };
        command.SetAction(parse => Run(
            parse.GetValue(path)!,
            parse.GetValue(dagName),
            parse.GetValue(now),
            parse.GetValue(next),
            parse.GetValue(maxRuns),
            parse.GetValue(output) ?? "table",
            TimeProvider.System,
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(string path, string? dagName, string? nowText, int next, int maxRuns, string format,
        TimeProvider clock, TextWriter output, TextWriter error)
    {
        DateTimeOffset now;
        if (nowText is null)
        {
            now = clock.GetUtcNow();
        }
        else if (!DateTimeOffset.TryParse(nowText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out now))
        {
            error.WriteLine($"--now: invalid time \"{nowText}\" (expected ISO 8601, e.g. 2025-01-31T15:00:00Z)");
            return ExitCodes.Invalid;
        }
        if (next < 0 || maxRuns < 1)
        {
            error.WriteLine(next < 0 ? "--next: must be 0 or more" : "--max-runs: must be 1 or more");
            return ExitCodes.Invalid;
        }
        var dag = DagFile.LoadValid(path, dagName, error);
        if (dag is null)
        {
            return ExitCodes.Invalid;
        }
        var timetable = Timetable.Create(dag.Resource.Spec);
        if (!timetable.IsValid)
        {
            foreach (var message in timetable.Errors)
            {
                error.WriteLine($"{path}: dag {dag.Resource.Metadata.Name}: {message}");
            }
            return ExitCodes.Invalid;
        }
        var due = timetable.Timetable.Due(lastLogicalDate: null, now, maxRuns);
        var upcoming = timetable.Timetable.Upcoming(lastLogicalDate: null, now, next);
        if (format == "json")
        {
            var document = new { due = due.Runs.Select(Entry), next = upcoming.Select(Entry), capped = due.Capped };
            output.WriteLine(JsonSerializer.Serialize(document, JsonOptions));
            return ExitCodes.Ok;
        }
        var name = dag.Resource.Metadata.Name;
        output.WriteLine($"dag {name} at {Names.FormatIso(now)}: {due.Runs.Count} run(s) due{(due.Capped ? $" (capped at {maxRuns}; more follow on the next pass)" : "")}");
        WriteTable(output, "due", due.Runs);
        WriteTable(output, "next", upcoming);
        return ExitCodes.Ok;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static object Entry(PlannedRun run) => new
    {
        logicalDate = Names.FormatIso(run.LogicalDate),
        dataIntervalStart = Names.FormatIso(run.DataIntervalStart),
        dataIntervalEnd = Names.FormatIso(run.DataIntervalEnd),
        runAfter = Names.FormatIso(run.RunAfter),
        runId = run.RunId,
    };

    private static void WriteTable(TextWriter output, string title, IReadOnlyList<PlannedRun> runs)
    {
        output.WriteLine();
        output.WriteLine($"{title.ToUpperInvariant()} ({runs.Count})");
        if (runs.Count == 0)
        {
            return;
        }
        output.WriteLine($"{"LOGICAL DATE",-26} {"DATA INTERVAL",-53} {"RUN AFTER",-26} RUN ID");
        foreach (var run in runs)
        {
            var interval = $"[{Names.FormatIso(run.DataIntervalStart)}, {Names.FormatIso(run.DataIntervalEnd)})";
            output.WriteLine($"{Names.FormatIso(run.LogicalDate),-26} {interval,-53} {Names.FormatIso(run.RunAfter),-26} {run.RunId}");
        }
    }
}
