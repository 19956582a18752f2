using System.Diagnostics.Metrics;

namespace K8sFlow.Operator.Observability;

/// <summary>
/// The operator's instruments, all on one <see cref="Meter"/> named <see cref="MeterName"/> (names as Prometheus
/// shows them). Gauges read their values from registered sources when the meter is collected.
/// </summary>
public sealed class K8sFlowMetrics : IDisposable
{
    public const string MeterName = "K8sFlow";

    private readonly Meter _meter;
    private readonly Lock _lock = new();
    private readonly List<(string Queue, Func<int> Depth)> _queues = [];
    private readonly List<Func<IReadOnlyDictionary<string, int>>> _runPhases = [];

    public K8sFlowMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        ReconcileDuration = _meter.CreateHistogram<double>("k8sflow_reconcile_duration_seconds", "s",
            "Duration of one reconcile, by controller and result.");
        TaskSchedulingLatency = _meter.CreateHistogram<double>("k8sflow_task_scheduling_latency_seconds", "s",
            "From a task attempt becoming ready (or its retry time) to its Job being created.");
        ApiErrors = _meter.CreateCounter<long>("k8sflow_api_errors_total", null,
            "Kubernetes API calls that failed, by verb and reason.");
        TaskOutcomes = _meter.CreateCounter<long>("k8sflow_task_outcomes_total", null,
            "Task attempts that ended, by outcome (success, failed, up_for_retry, skipped, upstream_failed).");
        _meter.CreateObservableGauge("k8sflow_workqueue_depth", ObserveQueues, null, "Keys waiting in a work queue.");
        _meter.CreateObservableGauge("k8sflow_dagruns", ObserveRunPhases, null, "DagRuns in the operator's cache by phase.");
    }

    public Histogram<double> ReconcileDuration { get; }
    public Histogram<double> TaskSchedulingLatency { get; }
    public Counter<long> ApiErrors { get; }
    public Counter<long> TaskOutcomes { get; }

    /// <summary>Reports <paramref name="depth"/> as k8sflow_workqueue_depth{queue}.</summary>
    public void AddWorkQueue(string queue, Func<int> depth)
    {
        lock (_lock)
        {
            _queues.Add((queue, depth));
        }
    }

    /// <summary>Reports run counts by phase as k8sflow_dagruns{phase}.</summary>
    public void AddRunPhases(Func<IReadOnlyDictionary<string, int>> countsByPhase)
    {
        lock (_lock)
        {
            _runPhases.Add(countsByPhase);
        }
    }

    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        lock (_lock)
        {
            return [.. _queues.Select(q => new Measurement<int>(q.Depth(), new KeyValuePair<string, object?>("queue", q.Queue)))];
        }
    }

    private IEnumerable<Measurement<int>> ObserveRunPhases()
    {
        lock (_lock)
        {
            return [.. _runPhases.SelectMany(source => source())
                .GroupBy(p => p.Key, p => p.Value)
                .Select(g => new Measurement<int>(g.Sum(), new KeyValuePair<string, object?>("phase", g.Key)))];
        }
    }

    public void Dispose() => _meter.Dispose();
}
