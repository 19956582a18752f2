using System.CommandLine;
using K8sFlow.Cli.Local;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow dev [--port P] [--kubeconfig FILE] [--data-dir DIR] [--simulate]</c>: runs K8sFlow's local
/// environment (the local cluster with K8sFlow's CRDs, the local job runner and the operator) in this
/// process until Ctrl-C or SIGTERM, then
/// stops it cleanly: open watches end, objects are saved to the data directory, the kubeconfig is removed.
/// </summary>
public static class DevCommand
{
    /// <summary>Stopping saves the cluster's objects: give it more than System.CommandLine's default 2 s before the process is ended anyway.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var port = new Option<int>("--port", "-p")
        {
            Description = "Port on 127.0.0.1 (0, the default: any free port; the kubeconfig always names the one in use)",
            DefaultValueFactory = _ => 0,
        };
        port.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                result.AddError($"--port must be between 0 and 65535 (got {result.GetValueOrDefault<int>()}).");
            }
        });
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = "Where the cluster's objects are kept between runs (default: .local/k8sflow-dev in the current directory)",
        };
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "Where to write the kubeconfig once the cluster is ready (default: kubeconfig in the data directory)",
        };
        var simulate = new Option<bool>("--simulate")
        {
            Description = "Do not run task commands: every pod finishes at once (exit code and output from k8sflow.io/sim-* annotations)",
        };
        var command = new Command("dev", "Run K8sFlow locally (API server for kubectl, job runner, operator) until Ctrl-C")
        {
            port, dataDir, kubeconfig, simulate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Set before the first await: System.CommandLine arms its signal handler with this once the action has started.
            parse.InvocationConfiguration.ProcessTerminationTimeout = StopGrace;
            var options = new LocalEnvironmentOptions
            {
                Port = parse.GetValue(port),
                DataDirectory = parse.GetValue(dataDir) ?? LocalEnvironmentOptions.DefaultDataDirectory(Environment.CurrentDirectory),
                KubeconfigPath = parse.GetValue(kubeconfig),
                JobRunner = parse.GetValue(simulate) ? JobRunnerMode.Simulated : JobRunnerMode.Processes,
                // The operator's log is the dev loop's window into reconciles: readable lines on stderr.
                Loggers = LoggerFactory.Create(logging => logging.Configure(OperatorLogFormat.Console, LogLevel.Information,
                    parse.InvocationConfiguration.Error)),
            };
            return await RunAsync(options, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    /// <summary>Starts the environment, says how to use it, and serves until <paramref name="stop"/> is cancelled.</summary>
    public static async Task<int> RunAsync(LocalEnvironmentOptions options, TextWriter output, TextWriter error, CancellationToken stop)
    {
        LocalEnvironment environment;
        try
        {
            environment = await LocalEnvironment.StartAsync(options, stop);
        }
        catch (LocalEnvironmentException e)
        {
            await error.WriteLineAsync($"k8sflow dev: {e.Message}");
            return ExitCodes.Invalid;
        }
        catch (IOException e) when (!stop.IsCancellationRequested)
        {
            // Kestrel's "address already in use", a data directory that cannot be written...
            await error.WriteLineAsync($"k8sflow dev: cannot start on 127.0.0.1:{options.Port} with data in '{options.DataDirectory}': {e.Message}");
            return ExitCodes.Unexpected;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }

        await using (environment)
        {
            await output.WriteAsync(Instructions(environment));
            await output.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
            catch (OperationCanceledException)
            {
                await output.WriteLineAsync("Stopping the local cluster...");
            }
        }
        await output.WriteLineAsync($"Stopped. Objects saved in {environment.DataDirectory}.");
        return ExitCodes.Ok;
    }

    /// <summary>What a user needs to start using the environment, printed once it is ready.</summary>
    public static string Instructions(LocalEnvironment environment) => $"""
        K8sFlow local cluster ready at {environment.ServerAddress}
          CRDs:       {string.Join(", ", environment.Crds.Select(c => c.Metadata.Name))}
          data:       {environment.DataDirectory}
          kubeconfig: {environment.KubeconfigPath}

        Use it from another terminal:
          export KUBECONFIG={environment.KubeconfigPath}
          kubectl apply -f config/samples/hello-world.yaml
          kubectl create -f config/samples/hello-world-run.yaml
          kubectl get dagruns -w

        Press Ctrl-C to stop (objects are kept for the next start).

        """;
}
