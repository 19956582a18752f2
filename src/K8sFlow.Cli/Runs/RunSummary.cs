using System.Text;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;

namespace K8sFlow.Cli.Runs;

/// <summary>The text <c>k8sflow run</c> ends with: the run's phase and duration, each task's state, and the tasks' outputs.</summary>
public static class RunSummary
{
    public static string Format(Dag dag, DagRun run, DateTimeOffset now)
    {
        var text = new StringBuilder();
        var phase = run.Status?.Phase?.ToString() ?? "Queued";
        var duration = RunView.Duration(run, now) is { } d ? $" in {RunView.FormatDuration(d)}" : "";
        text.AppendLine();
        text.AppendLine($"Run {run.Status?.RunId ?? run.Metadata.Name} of dag {dag.Metadata.Name}: {phase}{duration}");
        if (run.Status?.Phase == RunPhase.Failed && run.Status.Conditions?.FirstOrDefault(c => c.Type == RunConditions.Succeeded) is { } ended)
        {
            text.AppendLine($"  {ended.Reason}{(string.IsNullOrEmpty(ended.Message) ? "" : ": " + ended.Message)}");
        }
        var tasks = RunView.Tasks(dag, run, now);
        var nameWidth = Math.Max("TASK".Length, tasks.Max(t => t.Name.Length));
        var stateWidth = Math.Max("STATE".Length, tasks.Max(t => RunView.StateName(t.State).Length));
        text.AppendLine($"  {"TASK".PadRight(nameWidth)}  {"STATE".PadRight(stateWidth)}  TRY  DURATION");
        foreach (var task in tasks)
        {
            var tries = task.TryNumber == 0 ? "" : $"{task.TryNumber}";
            text.AppendLine($"  {task.Name.PadRight(nameWidth)}  {RunView.StateName(task.State).PadRight(stateWidth)}  {tries,-3}  {RunView.FormatDuration(task.Duration)}".TrimEnd());
        }
        var withOutputs = tasks.Where(t => t.Outputs.Count > 0).ToList();
        if (withOutputs.Count > 0)
        {
            text.AppendLine("Outputs:");
            foreach (var task in withOutputs)
            {
                text.AppendLine($"  {task.Name.PadRight(nameWidth)}  {RunView.FormatOutputs(task.Outputs)}");
            }
        }
        return text.ToString();
    }
}
