using System.CommandLine;
using K8sFlow.Cli.Cluster;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Jobs;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow logs RUN [TASK] [-f]</c>: the log of the pod of a task's current attempt (every started task's,
/// each under a header, when TASK is omitted); -f follows it until the container ends.
/// </summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var cluster = new ClusterOptions();
        var runName = new Argument<string>("run") { Description = "The DagRun's name" };
        var taskName = new Argument<string?>("task") { Description = "One task (default: every task that has started)", Arity = ArgumentArity.ZeroOrOne };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming until the container ends" };
        var command = cluster.AddTo(new Command("logs", "Show the logs of a DagRun's tasks") { runName, taskName, follow });
        cluster.SetAction(command, (parse, session, cancellationToken) => RunAsync(session, parse.GetValue(runName)!, parse.GetValue(taskName),
            parse.GetValue(follow), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(ClusterSession session, string runName, string? taskName, bool follow,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var pinned = await PinnedRun.GetAsync(session.Client, session.Namespace, runName, cancellationToken);
        if (pinned is null)
        {
            await error.WriteLineAsync($"k8sflow logs: DagRun {runName} not found in namespace {session.Namespace}");
            return ExitCodes.Invalid;
        }
        var tasks = pinned.Run.Status?.Tasks ?? [];
        if (taskName is not null)
        {
            var task = tasks.FirstOrDefault(t => t.Name == taskName);
            var known = pinned.Spec?.Tasks.Any(t => t.Name == taskName) ?? task is not null;
            if (!known)
            {
                var names = pinned.Spec?.Tasks.Select(t => t.Name) ?? tasks.Select(t => t.Name);
                await error.WriteLineAsync($"k8sflow logs: DagRun {runName} has no task {taskName}; its tasks: {string.Join(", ", names)}");
                return ExitCodes.Invalid;
            }
            if (task?.Job is null)
            {
                await error.WriteLineAsync($"k8sflow logs: task {taskName} of DagRun {runName} has not started (state {StatusCommand.StateName(task?.State ?? TaskState.None)})");
                return ExitCodes.Ok;
            }
            await WriteTaskLogAsync(session, task, follow, output, error, cancellationToken);
            return ExitCodes.Ok;
        }
        foreach (var task in tasks.Where(t => t.Job is not null))
        {
            await output.WriteLineAsync($"==> {task.Name} (try {task.TryNumber}, {StatusCommand.StateName(task.State)}) <==");
            await WriteTaskLogAsync(session, task, follow, output, error, cancellationToken);
        }
        return ExitCodes.Ok;
    }

    private static async Task WriteTaskLogAsync(ClusterSession session, TaskInstanceStatus task, bool follow, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        var pods = await session.Client.ListAsync(KubeKinds.Pod, session.Namespace,
            new ListOptions { LabelSelector = Selectors.LabelEquals(ExecutionObserver.JobNameLabel, task.Job!) }, cancellationToken);
        var pod = pods.Items.OrderByDescending(p => p.Metadata.CreationTimestamp).FirstOrDefault();
        if (pod is null)
        {
            await error.WriteLineAsync($"k8sflow logs: task {task.Name}: no pod of Job {task.Job} (it was deleted or has not been created yet)");
            return;
        }
        try
        {
            await using var log = await session.Client.GetPodLogAsync(session.Namespace, pod.Metadata.Name!, new PodLogOptions { Follow = follow },
                cancellationToken);
            using var reader = new StreamReader(log);
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await output.FlushAsync(cancellationToken);
            }
        }
        catch (KubeApiException e) when (e.Code == 400)
        {
            // The container has not started yet (ContainerCreating): say so instead of failing every other task's log.
            await error.WriteLineAsync($"k8sflow logs: task {task.Name}: {e.ServerMessage}");
        }
    }
}
