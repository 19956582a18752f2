using System.CommandLine;
using System.Globalization;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core;
using K8sFlow.Core.Params;
using K8sFlow.Core.Scheduling;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers.Dags;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow backfill DAG --from D --to D [--reprocess none|failed|completed] [--max-active-runs N] [-p k=v]</c>:
/// creates backfill DagRuns (deterministic names) for the Dag's schedule points in [from, to] (spec §1.7, Core's
/// <see cref="BackfillPlan"/>). With --max-active-runs the command keeps at most N of its runs unfinished and
/// returns once the last one is created.
/// </summary>
public static class BackfillCommand
{
    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var dag = new Argument<string>("dag") { Description = "The Dag to backfill" };
        var from = new Option<string>("--from") { Description = "First logical date (ISO 8601, UTC unless it says otherwise)", Required = true };
        var to = new Option<string>("--to") { Description = "Last logical date, inclusive", Required = true };
        var reprocess = new Option<string>("--reprocess")
        {
            Description = "Dates that already have a run: none (skip them), failed (re-run failed ones), completed (re-run failed and succeeded)",
            DefaultValueFactory = _ => "none",
        };
        reprocess.AcceptOnlyFromAmong([.. ReprocessModes.Names]);
        var maxActive = new Option<int?>("--max-active-runs") { Description = "At most this many of the backfill's runs unfinished at once" };
        maxActive.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--max-active-runs must be at least 1.");
            }
        });
        var @params = new Option<string[]>("--param", "-p") { Description = "A run param as NAME=VALUE for every run (repeatable)" };
        var command = cluster.AddTo(new Command("backfill", "Create runs for past schedule points") { dag, from, to, reprocess, maxActive, @params });
        cluster.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var start = ParseDate(parse.GetValue(from)!, "--from", error);
            var end = ParseDate(parse.GetValue(to)!, "--to", error);
            if (start is null || end is null)
            {
                return ExitCodes.Invalid;
            }
            var request = new BackfillRequest(parse.GetValue(dag)!, start.Value, end.Value,
                ReprocessModes.Parse(parse.GetValue(reprocess)) ?? Reprocess.None, parse.GetValue(maxActive), parse.GetValue(@params) ?? []);
            return await RunAsync(session, request, parse.InvocationConfiguration.Output, error, cancellationToken);
        });
        return command;
    }

    public sealed record BackfillRequest(string DagName, DateTimeOffset From, DateTimeOffset To, Reprocess Reprocess, int? MaxActiveRuns,
        IReadOnlyList<string> Params);

    public static async Task<int> RunAsync(ClusterSession session, BackfillRequest request, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        var prefix = "k8sflow backfill";
        if (request.From > request.To)
        {
            await error.WriteLineAsync($"{prefix}: --from {Names.FormatIso(request.From)} is after --to {Names.FormatIso(request.To)}");
            return ExitCodes.Invalid;
        }
        var dag = await session.Client.TryGetAsync(KubeKinds.Dag, session.Namespace, request.DagName, cancellationToken);
        if (dag is null)
        {
            await error.WriteLineAsync($"{prefix}: Dag {request.DagName} not found in namespace {session.Namespace}");
            return ExitCodes.Invalid;
        }
        var timetable = Timetable.Create(dag.Spec);
        var parsed = ParamResolver.CheckAssignments(request.Params, dag.Spec.Params);
        var paramErrors = parsed.Errors;
        if (!timetable.IsValid || paramErrors.Count > 0)
        {
            foreach (var problem in timetable.Errors.Select(e => e.ToString()).Concat(paramErrors.Select(e => e.ToString())))
            {
                await error.WriteLineAsync($"{prefix}: Dag {request.DagName}: {problem}");
            }
            return ExitCodes.Invalid;
        }
        var dates = timetable.Timetable.Backfill(request.From, request.To, DateTimeOffset.UtcNow);
        if (dates.Count == 0)
        {
            await error.WriteLineAsync($"{prefix}: Dag {request.DagName} has no schedule point in [{Names.FormatIso(request.From)}, " +
                $"{Names.FormatIso(request.To)}] whose interval has ended (schedule: {dag.Spec.Schedule ?? "none"})");
            return ExitCodes.Ok;
        }
        var existing = (await RunQueries.ListRunsAsync(session, request.DagName, cancellationToken))
            .Where(r => (r.Status?.LogicalDate ?? r.Spec.LogicalDate) is not null)
            .OrderBy(r => r.Metadata.CreationTimestamp)
            .Select(r => new ExistingRun(r.Metadata.Name!, (r.Status?.LogicalDate ?? r.Spec.LogicalDate)!.Value, r.Status?.Phase))
            .ToList();

        var created = new List<string>();
        foreach (var date in BackfillPlan.Plan(request.DagName, dates, existing, request.Reprocess))
        {
            if (!date.Create)
            {
                await output.WriteLineAsync($"skipped {Names.FormatIso(date.Run.LogicalDate)}: {date.Reason}");
                continue;
            }
            if (request.MaxActiveRuns is { } max)
            {
                await WaitForFreeSlotAsync(session, created, max, cancellationToken);
            }
            if (date.Replaces is { } old)
            {
                await DeleteAndWaitAsync(session, old, cancellationToken);
            }
            var run = ScheduledRuns.ToDagRun(dag, date.Run);
            run = run with { Spec = run.Spec with { Params = parsed.Values.Count > 0 ? parsed.Values.ToDictionary() : null } };
            var made = await session.Client.CreateAsync(KubeKinds.DagRun, run, cancellationToken: cancellationToken);
            created.Add(made.Metadata.Name!);
            await output.WriteLineAsync($"created {made.Metadata.Name} ({date.Run.RunId})");
        }
        return ExitCodes.Ok;
    }

    private static DateTimeOffset? ParseDate(string text, string option, TextWriter error)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return date;
        }
        error.WriteLine($"k8sflow backfill: {option} '{text}' is not a date; use ISO 8601, e.g. 2026-01-31 or 2026-01-31T06:00:00Z");
        return null;
    }

    /// <summary>Waits (on watch events) until fewer than <paramref name="max"/> of <paramref name="created"/> are unfinished.</summary>
    private static async Task WaitForFreeSlotAsync(ClusterSession session, IReadOnlyList<string> created, int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            var runs = await session.Client.ListAsync(KubeKinds.DagRun, session.Namespace, cancellationToken: cancellationToken);
            var active = runs.Items.Count(r => created.Contains(r.Metadata.Name!) && !RunQueries.IsFinal(r));
            if (active < max)
            {
                return;
            }
            await NextChangeAsync(session, runs.Metadata.ResourceVersion, cancellationToken);
        }
    }

    /// <summary>Deletes a run that holds the name the backfill needs and waits until it is gone (its finalizer may hold it briefly).</summary>
    private static async Task DeleteAndWaitAsync(ClusterSession session, string name, CancellationToken cancellationToken)
    {
        await session.Client.DeleteAsync(KubeKinds.DagRun, session.Namespace, name, DeleteOptions.Background, cancellationToken);
        while (true)
        {
            var runs = await session.Client.ListAsync(KubeKinds.DagRun, session.Namespace, cancellationToken: cancellationToken);
            if (runs.Items.All(r => r.Metadata.Name != name))
            {
                return;
            }
            await NextChangeAsync(session, runs.Metadata.ResourceVersion, cancellationToken);
        }
    }

    private static async Task NextChangeAsync(ClusterSession session, string? resourceVersion, CancellationToken cancellationToken)
    {
        var watch = new WatchOptions { ResourceVersion = resourceVersion, TimeoutSeconds = 60 };
        await using var changes = session.Client.WatchAsync(KubeKinds.DagRun, session.Namespace, watch, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await changes.MoveNextAsync();
    }
}
