using System.CommandLine;
using System.Globalization;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow clear RUN --task T [--downstream] [--upstream] [--only-failed]</c>: Airflow's clear (spec §12). Core's
/// <see cref="RunClearing.Select"/> picks the tasks; the command writes them to the run's <c>spec.clear</c> with a new
/// request id, and the controller applies it once (as a GitOps edit of spec.clear would).
/// </summary>
public static class ClearCommand
{
    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var runName = new Argument<string>("run") { Description = "The DagRun" };
        var tasks = new Option<string[]>("--task", "-t") { Description = "A task to clear (repeatable)", Required = true };
        var downstream = new Option<bool>("--downstream", "-d") { Description = "Also clear every task downstream of the chosen ones" };
        var upstream = new Option<bool>("--upstream", "-u") { Description = "Also clear every task upstream of the chosen ones" };
        var onlyFailed = new Option<bool>("--only-failed", "-f") { Description = "Only clear failed and upstream_failed tasks of that selection" };
        var command = cluster.AddTo(new Command("clear", "Clear tasks of a DagRun so they run again (a finished run resumes)")
        {
            runName, tasks, downstream, upstream, onlyFailed,
        });
        cluster.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var name = parse.GetValue(runName)!;
            var pinned = await PinnedRun.GetAsync(session.Client, session.Namespace, name, cancellationToken);
            if (pinned?.Spec is not { } spec)
            {
                await error.WriteLineAsync(pinned is null
                    ? $"k8sflow clear: DagRun {name} not found in namespace {session.Namespace}"
                    : $"k8sflow clear: DagRun {name} has not started yet (no pinned Dag spec): nothing to clear");
                return ExitCodes.Invalid;
            }
            var selection = RunClearing.Select(spec, pinned.Run.Status, parse.GetValue(tasks) ?? [], parse.GetValue(downstream), parse.GetValue(upstream),
                parse.GetValue(onlyFailed));
            if (!selection.Succeeded)
            {
                foreach (var problem in selection.Errors)
                {
                    await error.WriteLineAsync($"k8sflow clear: DagRun {name}: {problem}");
                }
                return ExitCodes.Invalid;
            }
            if (selection.Tasks.Count == 0)
            {
                await output.WriteLineAsync($"DagRun {name}: no task matches; nothing cleared");
                return ExitCodes.Ok;
            }
            var requestId = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss.fffffff'Z'", CultureInfo.InvariantCulture);
            var patch = new { spec = new { clear = new { requestId, tasks = selection.Tasks } } };
            await session.Client.PatchAsync(KubeKinds.DagRun, session.Namespace, name, KubePatch.Merge(patch), cancellationToken: cancellationToken);
            await output.WriteLineAsync($"DagRun {name}: cleared {string.Join(", ", selection.Tasks)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
