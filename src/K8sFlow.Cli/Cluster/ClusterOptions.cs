using System.CommandLine;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Config;

namespace K8sFlow.Cli.Cluster;

/// <summary>A connected client and the namespace the command works in (-n, else the context's).</summary>
public sealed record ClusterSession(IKubeClient Client, string Namespace, string Source);

/// <summary>
/// The kubectl-style flags every day-2 command shares (<c>--kubeconfig</c>, <c>--context</c>, <c>-n/--namespace</c>)
/// and the one place that turns them into a client. Cluster errors become one line on stderr, never a stack trace.
/// </summary>
public sealed class ClusterOptions
{
    public Option<string?> Kubeconfig { get; } = new("--kubeconfig")
    {
        Description = "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config; in a pod: the service account)",
    };

    public Option<string?> Context { get; } = new("--context") { Description = "The kubeconfig context to use (default: its current-context)" };

    public Option<string?> Namespace { get; } = new("--namespace", "-n") { Description = "Namespace (default: the context's, else default)" };

    /// <summary>A command with these flags added.</summary>
    public Command AddTo(Command command)
    {
        command.Options.Add(Kubeconfig);
        command.Options.Add(Context);
        command.Options.Add(Namespace);
        return command;
    }

    /// <summary>Connects as the flags say. Throws <see cref="KubeConfigException"/> for a missing or bad kubeconfig.</summary>
    public ClusterSession Connect(ParseResult parse)
    {
        var connection = ClusterConnection.Discover(parse.GetValue(Kubeconfig), parse.GetValue(Context));
        var @namespace = parse.GetValue(Namespace) ?? connection.Namespace;
        var client = KubeClient.Create(connection with { Namespace = @namespace },
            new KubeClientOptions { DefaultNamespace = @namespace, FieldManager = "k8sflow-cli" });
        return new ClusterSession(client, @namespace, connection.Source);
    }

    /// <summary>
    /// Sets <paramref name="command"/>'s action: connect, run <paramref name="action"/>, and turn cluster failures
    /// (no kubeconfig, unreachable server, API errors) into one line naming the command and the cause, exit code 1.
    /// </summary>
    public void SetAction(Command command, Func<ParseResult, ClusterSession, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var prefix = $"k8sflow {command.Name}";
            ClusterSession session;
            try
            {
                session = Connect(parse);
            }
            catch (KubeConfigException e)
            {
                await error.WriteLineAsync($"{prefix}: {e.Message}");
                return ExitCodes.Unexpected;
            }
            try
            {
                return await action(parse, session, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                await error.WriteLineAsync($"{prefix}: cannot reach the cluster ({session.Source}): {e.Message}");
                return ExitCodes.Unexpected;
            }
            catch (KubeApiException e)
            {
                await error.WriteLineAsync($"{prefix}: {e.Message}");
                return ExitCodes.Unexpected;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"{prefix}: the cluster ({session.Source}) did not answer in time");
                return ExitCodes.Unexpected;
            }
            finally
            {
                (session.Client as IDisposable)?.Dispose();
            }
        });
    }
}
