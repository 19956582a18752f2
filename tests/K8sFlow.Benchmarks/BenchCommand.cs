using System.CommandLine;
using K8sFlow.Benchmarks.Planning;
using K8sFlow.Benchmarks.Reporting;
using K8sFlow.Benchmarks.Running;
using K8sFlow.Benchmarks.Scenarios;
using Spectre.Console;

namespace K8sFlow.Benchmarks;

/// <summary>
/// <c>K8sFlow.Benchmarks [--quick] [--scenario NAME]... [--output PATH] [--k8sflow PATH]</c>: runs the scenarios one
/// after the other (fresh cluster and operator each), then the planner micro-benchmark; writes the JSON, prints the
/// tables, and exits 1 when a scenario failed.
/// </summary>
public static class BenchCommand
{
    public static RootCommand Create()
    {
        var quick = new Option<bool>("--quick") { Description = "About a tenth of each scenario (make bench-quick)" };
        var scenarios = new Option<string[]>("--scenario")
        {
            Description = $"Run only these scenarios (repeatable): {string.Join(", ", ScenarioCatalog.Names)}",
            AllowMultipleArgumentsPerToken = false,
        };
        scenarios.AcceptOnlyFromAmong([.. ScenarioCatalog.Names]);
        var output = new Option<string>("--output") { Description = "Where the JSON results go", DefaultValueFactory = _ => "bench-results.json" };
        var k8sflow = new Option<string>("--k8sflow") { Description = "The k8sflow binary whose operator is measured", DefaultValueFactory = _ => "bin/k8sflow" };
        var memoryLimit = new Option<int?>("--operator-memory-limit")
        {
            Description = "Run the operator as a container with this memory limit (MiB) would: .NET then caps its heap at 75% of it",
        };
        var command = new RootCommand("K8sFlow benchmark: the operator (a child process) against the local cluster in simulated mode")
        {
            quick, scenarios, output, k8sflow, memoryLimit,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(quick),
            parse.GetValue(scenarios) is { Length: > 0 } chosen ? chosen : [.. ScenarioCatalog.Names],
            Path.GetFullPath(parse.GetValue(output)!),
            Path.GetFullPath(parse.GetValue(k8sflow)!),
            parse.GetValue(memoryLimit),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(bool quick, IReadOnlyList<string> names, string outputPath, string k8sflowPath, int? memoryLimitMiB,
        CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 160; // make's output is a pipe: keep the tables readable in logs
        }
        if (!File.Exists(k8sflowPath))
        {
            console.MarkupLine($"[red]{Markup.Escape(k8sflowPath)} not found:[/] build it first (make build) or pass --k8sflow PATH");
            return 2;
        }
        var settings = new BenchSettings(k8sflowPath,
            Bound: quick ? TimeSpan.FromMinutes(5) : TimeSpan.FromMinutes(30),
            StallBound: TimeSpan.FromMinutes(2))
        { OperatorMemoryLimitMiB = memoryLimitMiB };
        var outcomes = new List<ScenarioOutcome>();
        foreach (var name in names.Distinct())
        {
            var scenario = ScenarioCatalog.Create(name, quick, DateTimeOffset.UtcNow);
            console.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(name)}: {scenario.Tasks:N0} tasks in {scenario.ExpectedRuns:N0} runs...");
            var outcome = await ScenarioRunner.RunAsync(scenario, settings, cancellationToken);
            console.MarkupLine(outcome.Measurement is { } m
                ? $"  done in {m.WallSeconds:N1} s"
                : $"  [red]failed:[/] {Markup.Escape(outcome.Failure!)}");
            outcomes.Add(outcome);
        }
        console.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] planner scaling...");
        var planner = PlannerScaling.MeasureAll();

        await ReportWriter.WriteJsonAsync(outputPath, outcomes.Select(o => o.Measurement).OfType<Measuring.ScenarioMeasurement>(), planner);
        ReportWriter.PrintScenarios(console, outcomes);
        ReportWriter.PrintDiagnostics(console, outcomes);
        ReportWriter.PrintPlanner(console, planner);
        console.MarkupLine($"results: {Markup.Escape(outputPath)}");
        return outcomes.All(o => o.Measurement is not null) ? 0 : 1;
    }
}
