namespace K8sFlow.Operator.Observability;

/// <summary>
/// Renders the operator's metrics for a scraper (served at /metrics). The built-in implementation is
/// <see cref="PrometheusTextExporter"/>; prometheus-net or OpenTelemetry's exporter can replace it
/// without touching the instruments, which are plain System.Diagnostics.Metrics.
/// </summary>
public interface IMetricsExporter
{
    /// <summary>The HTTP Content-Type of what <see cref="WriteAsync"/> writes.</summary>
    string ContentType { get; }

    /// <summary>Collects the current values (running observable callbacks) and writes them.</summary>
    Task WriteAsync(Stream destination, CancellationToken cancellationToken);
}
