using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Benchmarks.Measuring;
using K8sFlow.Benchmarks.Planning;
using K8sFlow.Benchmarks.Running;
using Spectre.Console;

namespace K8sFlow.Benchmarks.Reporting;

/// <summary>bench-results.json and the console tables.</summary>
public static class ReportWriter
{
    /// <summary>camelCase; null latencies are written as null (the schema has every field in every object).</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>
    /// An array: one object per measured scenario (issue 6's schema exactly), then one per planner-scaling case.
    /// Failed scenarios are left out (the console says why and the exit code is non-zero).
    /// </summary>
    public static async Task WriteJsonAsync(string path, IEnumerable<ScenarioMeasurement> scenarios, IEnumerable<PlannerMeasurement> planner)
    {
        var array = new JsonArray([
            .. scenarios.Select(s => JsonSerializer.SerializeToNode(s, Json)),
            .. planner.Select(p => JsonSerializer.SerializeToNode(p, Json)),
        ]);
        await File.WriteAllTextAsync(path, array.ToJsonString(Json) + Environment.NewLine);
    }

    public static void PrintScenarios(IAnsiConsole console, IReadOnlyList<ScenarioOutcome> outcomes)
    {
        var table = new Table().Title("K8sFlow benchmark (operator against the local cluster, simulated pods)")
            .AddColumns("scenario", "tasks", "runs", "wall s", "transitions/s", "latency p50 ms", "latency p99 ms", "API req/task", "status bytes", "peak RSS MiB");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }
        foreach (var outcome in outcomes)
        {
            if (outcome.Measurement is { } m)
            {
                table.AddRow(m.Scenario, N(m.Tasks), N(m.Runs), F(m.WallSeconds, 2), F(m.TransitionsPerSecond, 0), F(m.SchedulingLatencyP50Ms, 1),
                    F(m.SchedulingLatencyP99Ms, 1), F(m.ApiRequestsPerTask, 2), N(m.StatusBytes), F(m.PeakRssMiB, 0));
            }
            else
            {
                table.AddRow(new Markup(Markup.Escape(outcome.Scenario)), new Markup("[red]FAILED[/]"));
            }
        }
        console.Write(table);
        foreach (var failed in outcomes.Where(o => o.Failure is not null))
        {
            console.MarkupLine($"[red]{Markup.Escape(failed.Scenario)} failed:[/] {Markup.Escape(failed.Failure!)} (operator log: {Markup.Escape(failed.OperatorLog ?? "none")})");
        }
    }

    /// <summary>Where the time went: the operator's CPU, its API traffic and its reconciles (from its /metrics).</summary>
    public static void PrintDiagnostics(IAnsiConsole console, IReadOnlyList<ScenarioOutcome> outcomes)
    {
        var table = new Table().Title("operator diagnostics")
            .AddColumns("scenario", "CPU s", "CPU % of wall", "transitions", "requests", "watches", "errors", "reconciles", "mean reconcile ms");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }
        foreach (var outcome in outcomes)
        {
            var m = outcome.Measurement;
            var usage = outcome.Usage;
            var reconciles = MetricsText.Sum(usage?.Metrics, "k8sflow_reconcile_duration_seconds_count");
            var reconcileSeconds = MetricsText.Sum(usage?.Metrics, "k8sflow_reconcile_duration_seconds_sum");
            table.AddRow(outcome.Scenario, F(usage?.CpuSeconds, 1), m is null || usage is null ? "-" : F(100 * usage.CpuSeconds / m.WallSeconds, 0),
                N(m?.Transitions), N(m?.OperatorRequests), N(m?.OperatorWatchRequests), N(m?.OperatorErrors), F(reconciles, 0),
                reconciles is > 0 ? F(1000 * reconcileSeconds / reconciles, 2) : "-");
        }
        console.Write(table);
    }

    public static void PrintPlanner(IAnsiConsole console, IReadOnlyList<PlannerMeasurement> planner)
    {
        var table = new Table().Title("planner scaling (RunPlanner.Plan after one Job finished)")
            .AddColumns("case", "tasks", "µs per plan", "KiB allocated per plan");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }
        foreach (var p in planner)
        {
            table.AddRow(p.Scenario, N(p.Tasks), F(p.PlanMicroseconds, 0), F(p.AllocatedKiB, 0));
        }
        console.Write(table);
    }

    private static string N(long? value) => value?.ToString("N0", CultureInfo.InvariantCulture) ?? "-";

    private static string F(double? value, int decimals) =>
        value is { } v && double.IsFinite(v) ? v.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "-";
}
