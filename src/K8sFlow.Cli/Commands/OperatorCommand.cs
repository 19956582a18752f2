using System.CommandLine;
using K8sFlow.Operator.Hosting;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow operator [--flag=value ...]</c>: runs the K8sFlow operator against the cluster of the current
/// kubeconfig or the in-cluster service account (the container image's entrypoint). Its flags
/// (--log-level, --log-format, --metrics-port, --workers, --leader-election, --lease-name, --lease-namespace,
/// --lease-identity, --namespaces, --resync-period, --max-catchup-runs) are read by the operator's own
/// configuration, together with appsettings.json and K8SFLOW_* environment variables.
/// </summary>
public static class OperatorCommand
{
    public static Command Create()
    {
        var command = new Command("operator", "Run the K8sFlow operator (controllers, /metrics, /healthz, /readyz)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, cancellationToken) => OperatorHost.RunAsync([.. parse.UnmatchedTokens], client: null, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }
}
