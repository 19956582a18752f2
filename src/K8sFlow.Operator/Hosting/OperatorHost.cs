using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Operator.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Hosting;

/// <summary>The operator's settings could not be read; <see cref="Exception.Message"/> lists every problem.</summary>
public sealed class OperatorOptionsException(IReadOnlyList<string> errors)
    : Exception("invalid operator settings:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// The operator as an ASP.NET Core host (what the Deployment runs): settings from appsettings.json, K8SFLOW_*
/// environment variables and flags (later wins), Serilog logging, the Kubernetes client (kubeconfig or
/// in-cluster), metrics, and <see cref="K8sFlowOperator"/> as a hosted service. HTTP listens on MetricsPort.
/// </summary>
public static class OperatorHost
{
    /// <summary>A builder with every operator service registered; <paramref name="client"/> replaces the discovered cluster.</summary>
    /// <exception cref="OperatorOptionsException">A setting is invalid.</exception>
    public static WebApplicationBuilder CreateBuilder(string[] args, IKubeClient? client = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        AddOperatorSources(builder.Configuration, args);
        var bound = OperatorOptions.Bind(builder.Configuration);
        if (!bound.IsValid)
        {
            throw new OperatorOptionsException(bound.Errors);
        }
        var options = bound.Options!;
        builder.WebHost.UseUrls($"http://0.0.0.0:{options.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var format = options.LogFormat ?? (InClusterConfig.IsInCluster() ? OperatorLogFormat.Json : OperatorLogFormat.Console);
        builder.Logging.Configure(format, options.LogLevel);

        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddK8sFlowObservability();
        if (client is not null)
        {
            services.AddSingleton(client);
        }
        else
        {
            // Discovered now, not inside the container: a missing kubeconfig is a one-line settings error, not a crash.
            ClusterConnection connection;
            try
            {
                connection = ClusterConnection.Discover();
            }
            catch (KubeConfigException e)
            {
                throw new OperatorOptionsException([$"cluster connection: {e.Message}"]);
            }
            // The metrics observe every API request (k8sflow_api_requests_total, k8sflow_api_errors_total).
            services.AddSingleton<IKubeClient>(sp => KubeClient.Create(connection, new KubeClientOptions
            {
                Logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<KubeClient>(),
                RequestObserver = sp.GetRequiredService<K8sFlowMetrics>(),
            }));
        }
        services.AddHostedService<OperatorService>();
        return builder;
    }

    /// <summary>The host with /metrics, /healthz and /readyz mapped, ready to run.</summary>
    /// <exception cref="OperatorOptionsException">A setting is invalid.</exception>
    public static WebApplication Build(string[] args, IKubeClient? client = null)
    {
        var app = CreateBuilder(args, client).Build();
        app.MapK8sFlowObservability();
        return app;
    }

    /// <summary>K8SFLOW_* environment variables over appsettings, then flags (<see cref="OperatorOptions.FlagMappings"/>) over both.</summary>
    public static IConfigurationBuilder AddOperatorSources(IConfigurationBuilder configuration, string[] args) =>
        configuration
            .AddEnvironmentVariables(OperatorOptions.EnvironmentPrefix)
            .AddCommandLine(args, new Dictionary<string, string>(OperatorOptions.FlagMappings));

    /// <summary>Runs the operator until the process is asked to stop; 2 when the settings are invalid.</summary>
    public static async Task<int> RunAsync(string[] args, IKubeClient? client = null, TextWriter? error = null,
        CancellationToken cancellationToken = default)
    {
        WebApplication app;
        try
        {
            app = Build(args, client);
        }
        catch (OperatorOptionsException e)
        {
            await (error ?? Console.Error).WriteLineAsync(e.Message).ConfigureAwait(false);
            return 2;
        }
        await using (app.ConfigureAwait(false))
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        return 0;
    }
}

/// <summary>Runs <see cref="K8sFlowOperator"/> for the host's lifetime; stopping the host releases the lease.</summary>
public sealed class OperatorService(IKubeClient client, OperatorOptions options, OperatorReadiness readiness, K8sFlowMetrics metrics,
    TimeProvider timeProvider, ILoggerFactory loggerFactory) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var instance = K8sFlowOperator.Start(client, options, new OperatorServices
        {
            TimeProvider = timeProvider,
            LoggerFactory = loggerFactory,
            Metrics = metrics,
            Readiness = readiness,
        }, stoppingToken);
        await instance.Completion.ConfigureAwait(false);
    }
}
