using System.CommandLine;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core.Api;

namespace K8sFlow.Cli.Commands;

/// <summary><c>k8sflow runs [DAG]</c>: the DagRuns, newest first, as <c>airflow dags list-runs</c> shows them.</summary>
public static class RunsCommand
{
    public static readonly IReadOnlyList<string> Headers =
        ["dag", "run", "run id", "type", "phase", "progress", "logical date", "start", "duration"];

    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var dag = new Argument<string?>("dag") { Description = "Only this Dag's runs", Arity = ArgumentArity.ZeroOrOne };
        var command = cluster.AddTo(new Command("runs", "List DagRuns, newest first") { dag });
        cluster.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var runs = await RunQueries.ListRunsAsync(session, parse.GetValue(dag), cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            if (runs.Count == 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"No DagRuns found in namespace {session.Namespace}.");
                return ExitCodes.Ok;
            }
            var now = DateTimeOffset.UtcNow;
            TextTable.Write(output, Headers, runs.Select(run => Row(run, now)));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static IReadOnlyList<string> Row(DagRun run, DateTimeOffset now) =>
    [
        run.Spec.DagName,
        run.Metadata.Name ?? "",
        run.Status?.RunId ?? "-",
        run.Spec.RunType ?? Core.Names.RunTypes.Manual,
        run.Status?.Phase?.ToString() ?? "Pending",
        run.Status?.Progress ?? "-",
        TextTable.Time(run.Status?.LogicalDate ?? run.Spec.LogicalDate),
        TextTable.Time(run.Status?.StartTime),
        TextTable.Duration(run.Status?.StartTime, run.Status?.EndTime, now),
    ];
}
