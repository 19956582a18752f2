using K8sFlow.Core.Api;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace K8sFlow.Cli.Runs;

/// <summary>
/// Shows a run's progress while <c>k8sflow run</c> waits for it: in a terminal a task table that updates in
/// place (Spectre.Console live display), otherwise one line per state change, so logs and CI output stay readable.
/// </summary>
public abstract class RunProgress
{
    /// <summary>The display for <paramref name="error"/>: live only when it is the process's stderr and that is a terminal.</summary>
    public static RunProgress For(Dag dag, TextWriter error) =>
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected ? new LiveTable(dag, error) : new StateLines(dag, error);

    /// <summary>Runs <paramref name="watch"/>, which reports every new version of the run through the callback it is given.</summary>
    public abstract Task<T> ShowAsync<T>(Func<Action<DagRun>, Task<T>> watch);

    private sealed class StateLines(Dag dag, TextWriter error) : RunProgress
    {
        private readonly Dictionary<string, (TaskState, int)> _seen = new(StringComparer.Ordinal);
        private RunPhase? _phase;

        public override Task<T> ShowAsync<T>(Func<Action<DagRun>, Task<T>> watch) => watch(Update);

        private void Update(DagRun run)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var task in RunView.Tasks(dag, run, now).Where(t => t.State != TaskState.None))
            {
                if (_seen.TryGetValue(task.Name, out var seen) && seen == (task.State, task.TryNumber))
                {
                    continue;
                }
                _seen[task.Name] = (task.State, task.TryNumber);
                var duration = task.State.IsFinished() && task.Duration is { } d ? $" in {RunView.FormatDuration(d)}" : "";
                var attempt = task.TryNumber == 0 ? "" : $" (try {task.TryNumber})";
                error.WriteLine($"  {task.Name}: {RunView.StateName(task.State)}{attempt}{duration}");
            }
            if (run.Status?.Phase is { } phase && phase != _phase)
            {
                _phase = phase;
                error.WriteLine($"run {run.Metadata.Name}: {phase}");
            }
            error.Flush();
        }
    }

    private sealed class LiveTable(Dag dag, TextWriter error) : RunProgress
    {
        private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });

        public override Task<T> ShowAsync<T>(Func<Action<DagRun>, Task<T>> watch) =>
            _console.Live(Render(null)).AutoClear(true).StartAsync(context =>
                watch(run =>
                {
                    context.UpdateTarget(Render(run));
                    context.Refresh();
                }));

        private IRenderable Render(DagRun? run)
        {
            var now = DateTimeOffset.UtcNow;
            var phase = run?.Status?.Phase?.ToString() ?? "Queued";
            var table = new Table().Border(TableBorder.Rounded)
                .Title($"{Markup.Escape(dag.Metadata.Name ?? "")} [bold]{phase}[/] {RunView.FormatDuration(run is null ? null : RunView.Duration(run, now))}")
                .AddColumns("Task", "State", "Try", "Duration");
            var rows = run is null
                ? dag.Spec.Tasks.Select(t => new TaskRow(t.Name, TaskState.None, 0, null, new Dictionary<string, string>()))
                : RunView.Tasks(dag, run, now);
            foreach (var task in rows)
            {
                table.AddRow(
                    Markup.Escape(task.Name),
                    $"[{Colour(task.State)}]{RunView.StateName(task.State)}[/]",
                    task.TryNumber == 0 ? "" : $"{task.TryNumber}",
                    RunView.FormatDuration(task.Duration));
            }
            return table;
        }

        private static string Colour(TaskState state) => state switch
        {
            TaskState.Success => "green",
            TaskState.Failed or TaskState.UpstreamFailed => "red",
            TaskState.Running => "blue",
            TaskState.UpForRetry or TaskState.UpForReschedule => "yellow",
            TaskState.Skipped or TaskState.Removed => "grey",
            _ => "default",
        };
    }
}
