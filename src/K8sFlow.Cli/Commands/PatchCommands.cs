using System.CommandLine;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// The day-2 verbs that set one spec field by a JSON merge patch, so GitOps can do the same declaratively:
/// <c>pause DAG</c> / <c>unpause DAG</c> (spec.paused) and <c>cancel RUN</c> (spec.cancel).
/// </summary>
public static class PatchCommands
{
    public static Command Pause() => DagPaused("pause", true, "Pause a Dag: no new scheduled runs, queued runs wait");

    public static Command Unpause() => DagPaused("unpause", false, "Unpause a Dag: scheduling resumes");

    public static Command Cancel()
    {
        var cluster = new ClusterOptions();
        var runName = new Argument<string>("run") { Description = "The DagRun to cancel" };
        var command = cluster.AddTo(new Command("cancel", "Cancel a DagRun: running tasks fail, pending ones are skipped, the run ends Failed")
        {
            runName,
        });
        cluster.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var name = parse.GetValue(runName)!;
            var run = await TryPatchAsync(session, KubeKinds.DagRun, name, new { spec = new { cancel = true } }, cancellationToken);
            return await Report(parse, run is null ? null : $"DagRun {name} cancelled", $"DagRun {name}", session);
        });
        return command;
    }

    private static Command DagPaused(string verb, bool paused, string description)
    {
        var cluster = new ClusterOptions();
        var dagName = new Argument<string>("dag") { Description = "The Dag" };
        var command = cluster.AddTo(new Command(verb, description) { dagName });
        cluster.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var name = parse.GetValue(dagName)!;
            var dag = await TryPatchAsync(session, KubeKinds.Dag, name, new { spec = new { paused } }, cancellationToken);
            return await Report(parse, dag is null ? null : $"Dag {name} {(paused ? "paused" : "unpaused")}", $"Dag {name}", session);
        });
        return command;
    }

    /// <summary>The patched object, or null when it does not exist.</summary>
    private static async Task<T?> TryPatchAsync<T>(ClusterSession session, ResourceKind<T> kind, string name, object patch,
        CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        try
        {
            return await session.Client.PatchAsync(kind, session.Namespace, name, KubePatch.Merge(patch), cancellationToken: cancellationToken);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private static async Task<int> Report(ParseResult parse, string? done, string what, ClusterSession session)
    {
        if (done is null)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"k8sflow {parse.CommandResult.Command.Name}: {what} not found in namespace {session.Namespace}");
            return ExitCodes.Invalid;
        }
        await parse.InvocationConfiguration.Output.WriteLineAsync(done);
        return ExitCodes.Ok;
    }
}
