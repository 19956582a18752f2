using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Observability;

/// <summary>The operator's HTTP surface for the platform: /metrics, /healthz and /readyz.</summary>
public static class ObservabilityEndpoints
{
    public const string MetricsPath = "/metrics";
    public const string HealthPath = "/healthz";
    public const string ReadyPath = "/readyz";

    /// <summary>
    /// Registers <see cref="K8sFlowMetrics"/> (on the host's IMeterFactory, with k8sflow_leader read
    /// from <see cref="OperatorReadiness"/>), <see cref="OperatorReadiness"/> and the Prometheus
    /// <see cref="IMetricsExporter"/> of that meter. Registrations already present are kept (a host
    /// can swap the exporter).
    /// </summary>
    public static IServiceCollection AddK8sFlowObservability(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<OperatorReadiness>();
        services.TryAddSingleton<IMetricsExporter>(provider =>
        {
            var meterFactory = provider.GetRequiredService<IMeterFactory>();
            return new PrometheusTextExporter(
                meter => meter.Name == K8sFlowMetrics.MeterName && meter.Scope == meterFactory,
                provider.GetRequiredService<ILogger<PrometheusTextExporter>>());
        });
        services.TryAddSingleton(provider =>
        {
            // The exporter first: a MeterListener sees only the measurements made after it starts.
            provider.GetRequiredService<IMetricsExporter>();
            var metrics = new K8sFlowMetrics(provider.GetRequiredService<IMeterFactory>());
            var readiness = provider.GetRequiredService<OperatorReadiness>();
            metrics.ObserveLeadership(() => readiness.IsLeader);
            return metrics;
        });
        return services;
    }

    /// <summary>Maps the three endpoints (services from <see cref="AddK8sFlowObservability"/>).</summary>
    public static IEndpointRouteBuilder MapK8sFlowObservability(this IEndpointRouteBuilder endpoints)
    {
        // Creates the instruments now, so the first scrape already shows k8sflow_leader.
        endpoints.ServiceProvider.GetRequiredService<K8sFlowMetrics>();
        var exporter = endpoints.ServiceProvider.GetRequiredService<IMetricsExporter>();
        var readiness = endpoints.ServiceProvider.GetRequiredService<OperatorReadiness>();
        endpoints.MapGet(MetricsPath, async context =>
        {
            context.Response.ContentType = exporter.ContentType;
            await exporter.WriteAsync(context.Response.Body, context.RequestAborted);
        });
        // Alive means the process answers HTTP; a wedged controller shows in /metrics and logs, and a
        // restart would not cure a slow API server.
        endpoints.MapGet(HealthPath, () => Results.Text("ok\n"));
        endpoints.MapGet(ReadyPath, () =>
        {
            var report = readiness.Check();
            return Results.Text(report.Message + "\n", statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
