using System.CommandLine;
using System.Text.Json.Nodes;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Params;
using K8sFlow.Core.Scheduling;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers.Dags;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow trigger DAG [-p name=value ...] [--wait]</c>: creates a manual DagRun (Airflow's <c>dags trigger</c>)
/// after checking the params against the Dag's declarations, and prints its name. Invalid params: exit 2, no run.
/// With --wait: exit 0 when the run Succeeded, 1 when it Failed.
/// </summary>
public static class TriggerCommand
{
    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var dag = new Argument<string>("dag") { Description = "The Dag to run" };
        var @params = new Option<string[]>("--param", "-p")
        {
            Description = "A run param as NAME=VALUE (repeatable); checked against the Dag's declarations",
            AllowMultipleArgumentsPerToken = false,
        };
        var wait = new Option<bool>("--wait") { Description = "Wait for the run to finish: exit 0 when it Succeeded, 1 when it Failed" };
        var command = cluster.AddTo(new Command("trigger", "Trigger a manual run of a Dag") { dag, @params, wait });
        cluster.SetAction(command, (parse, session, cancellationToken) => RunAsync(session, parse.GetValue(dag)!,
            parse.GetValue(@params) ?? [], parse.GetValue(wait), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>Attempts at a free name: run names carry the trigger time to the second (Names.DagRunName).</summary>
    private const int NameAttempts = 5;

    /// <summary>
    /// Creates the manual run planned for <paramref name="now"/> (Core's timetable decides its dates). Run names carry the
    /// trigger time to the second, so a second trigger within the same second takes the next free second instead of failing.
    /// </summary>
    public static async Task<DagRun> CreateManualRunAsync(ClusterSession session, Dag dag, IReadOnlyDictionary<string, JsonNode?> @params,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var timetable = Timetable.Create(dag.Spec);
        for (var attempt = 1; ; attempt++)
        {
            var planned = timetable.IsValid
                ? timetable.Timetable.Manual(now)
                : new PlannedRun(now, now, now, now, Names.RunTypes.Manual, Names.RunId(Names.RunTypes.Manual, now));
            var run = ScheduledRuns.ToDagRun(dag, planned);
            run = run with { Spec = run.Spec with { Params = @params.Count > 0 ? @params.ToDictionary() : null } };
            try
            {
                return await session.Client.CreateAsync(KubeKinds.DagRun, run, cancellationToken: cancellationToken);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists && attempt < NameAttempts)
            {
                now = now.AddSeconds(1);
            }
        }
    }

    public static async Task<int> RunAsync(ClusterSession session, string dagName, IReadOnlyList<string> assignments, bool wait,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var dag = await session.Client.TryGetAsync(KubeKinds.Dag, session.Namespace, dagName, cancellationToken);
        if (dag is null)
        {
            await error.WriteLineAsync($"k8sflow trigger: Dag {dagName} not found in namespace {session.Namespace}");
            return ExitCodes.Invalid;
        }
        var parsed = ParamResolver.CheckAssignments(assignments, dag.Spec.Params);
        var errors = parsed.Errors;
        if (errors.Count > 0)
        {
            foreach (var problem in errors)
            {
                await error.WriteLineAsync($"k8sflow trigger: Dag {dagName}: {problem}");
            }
            return ExitCodes.Invalid;
        }

        var created = await CreateManualRunAsync(session, dag, parsed.Values, DateTimeOffset.UtcNow, cancellationToken);
        await output.WriteLineAsync(created.Metadata.Name);
        if (!wait)
        {
            return ExitCodes.Ok;
        }
        var final = await RunQueries.WaitForFinalAsync(session, created.Metadata.Name!, cancellationToken);
        if (final is null)
        {
            await error.WriteLineAsync($"k8sflow trigger: DagRun {created.Metadata.Name} was deleted before it finished");
            return ExitCodes.Unexpected;
        }
        await error.WriteLineAsync($"DagRun {created.Metadata.Name}: {final.Status!.Phase}");
        return final.Status.Phase == RunPhase.Succeeded ? ExitCodes.Ok : ExitCodes.Unexpected;
    }
}
