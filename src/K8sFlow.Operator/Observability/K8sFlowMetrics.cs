using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;

namespace K8sFlow.Operator.Observability;

/// <summary>How many DagRuns of one namespace are in one phase.</summary>
public sealed record DagRunCount(string Namespace, RunPhase Phase, long Count);

/// <summary>
/// The operator's instruments, all on one Meter named <see cref="MeterName"/>. Controllers record
/// through the methods here; state that lives elsewhere (the informer cache, the work queues,
/// leadership) is read at scrape time through the Observe* registrations. It is also the Kubernetes
/// client's <see cref="IKubeRequestObserver"/>, which feeds the API request and error counters.
/// </summary>
public sealed class K8sFlowMetrics : IKubeRequestObserver, IDisposable
{
    public const string MeterName = "K8sFlow";

    /// <summary>A reconcile is a cache read, a pure plan and a few API calls: milliseconds to seconds.</summary>
    public static IReadOnlyList<double> ReconcileBuckets { get; } = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Task ready -> Job created: sub-second normally; minutes when maxActiveTasks or the queue holds it.</summary>
    public static IReadOnlyList<double> SchedulingLatencyBuckets { get; } = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    /// <summary>The <c>code</c> label of an attempt that got no HTTP response (client-go spells it the same).</summary>
    public const string NoResponseCode = "<error>";

    /// <summary>The <c>reason</c> of an attempt that got no HTTP response (connection refused, timeout).</summary>
    public const string NoResponseReason = "NoResponse";

    private readonly bool _ownsMeter;
    private readonly Counter<long> _taskOutcomes;
    private readonly Histogram<double> _reconcileDuration;
    private readonly Histogram<double> _schedulingLatency;
    private readonly Counter<long> _apiRequests;
    private readonly Counter<long> _apiErrors;
    private readonly ConcurrentDictionary<string, Func<long>> _queueDepths = new(StringComparer.Ordinal);
    private Func<IEnumerable<DagRunCount>>? _dagRunCounts;
    private Func<bool>? _isLeader;

    /// <summary>Instruments on a private Meter (tests, or a host without DI); disposed with this object.</summary>
    public K8sFlowMetrics()
        : this(new Meter(MeterName), ownsMeter: true)
    {
    }

    /// <summary>Instruments on the host's Meter: a factory scopes meters per host, so two operators in one process stay apart.</summary>
    public K8sFlowMetrics(IMeterFactory meterFactory)
        : this(meterFactory.Create(MeterName), ownsMeter: false)
    {
    }

    private K8sFlowMetrics(Meter meter, bool ownsMeter)
    {
        Meter = meter;
        _ownsMeter = ownsMeter;
        meter.CreateObservableGauge("k8sflow_dagruns", ObserveDagRunCounts,
            description: "DagRuns by namespace and phase, as the operator's cache sees them.");
        _taskOutcomes = meter.CreateCounter<long>("k8sflow_task_outcomes_total",
            description: "Finished task attempts by outcome (Airflow state: success, failed, up_for_retry, skipped, upstream_failed...).");
        _reconcileDuration = meter.CreateHistogram("k8sflow_reconcile_duration_seconds", unit: "s",
            description: "Time one reconcile takes, by controller.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ReconcileBuckets });
        meter.CreateObservableGauge("k8sflow_workqueue_depth", ObserveQueueDepths,
            description: "Keys waiting in a controller's work queue (not counting keys being processed).");
        _schedulingLatency = meter.CreateHistogram("k8sflow_task_scheduling_latency_seconds", unit: "s",
            description: "Time from a task becoming ready to its Job being created.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SchedulingLatencyBuckets });
        _apiRequests = meter.CreateCounter<long>("k8sflow_api_requests_total",
            description: "Kubernetes API request attempts by verb and HTTP status code.");
        _apiErrors = meter.CreateCounter<long>("k8sflow_api_errors_total",
            description: "Kubernetes API attempts that failed, by reason (Conflict, NotFound, Forbidden, NoResponse...).");
        meter.CreateObservableGauge("k8sflow_leader", ObserveLeadership,
            description: "1 while this replica holds the leader lease (and runs the controllers), else 0.");
    }

    /// <summary>The Meter holding every instrument (what an exporter listens to).</summary>
    public Meter Meter { get; }

    /// <summary>One task attempt ended in this state.</summary>
    public void RecordTaskOutcome(TaskState outcome) =>
        _taskOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.ToString())));

    /// <summary>One reconcile of <paramref name="controller"/> ("dag", "dagrun") took <paramref name="duration"/>.</summary>
    public void RecordReconcile(string controller, TimeSpan duration) =>
        _reconcileDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("controller", controller));

    /// <summary>A Job was created <paramref name="latency"/> after its task became ready.</summary>
    public void RecordSchedulingLatency(TimeSpan latency) => _schedulingLatency.Record(latency.TotalSeconds);

    /// <summary>Counts every API attempt, and the failed ones by reason.</summary>
    public void OnRequest(KubeRequestRecord request)
    {
        var code = request.StatusCode;
        _apiRequests.Add(1,
            new KeyValuePair<string, object?>("verb", request.Verb.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>("code", code?.ToString() ?? NoResponseCode));
        if (code is null or >= 400)
        {
            var reason = code is { } failed ? KubeApiException.ReasonFor(failed) : NoResponseReason;
            _apiErrors.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>
    /// Feeds k8sflow_dagruns: <paramref name="counts"/> runs at every scrape (read the informer cache,
    /// e.g. with <see cref="CountDagRuns"/>). Replaces an earlier source; disposing unregisters.
    /// </summary>
    public IDisposable ObserveDagRuns(Func<IEnumerable<DagRunCount>> counts)
    {
        _dagRunCounts = counts;
        return new Registration(() => Interlocked.CompareExchange(ref _dagRunCounts, null, counts));
    }

    /// <summary>Feeds k8sflow_workqueue_depth{queue}; disposing unregisters.</summary>
    public IDisposable ObserveWorkQueueDepth(string queue, Func<long> depth)
    {
        _queueDepths[queue] = depth;
        return new Registration(() => _queueDepths.TryRemove(new KeyValuePair<string, Func<long>>(queue, depth)));
    }

    /// <summary>Feeds k8sflow_leader; disposing unregisters.</summary>
    public IDisposable ObserveLeadership(Func<bool> isLeader)
    {
        _isLeader = isLeader;
        return new Registration(() => Interlocked.CompareExchange(ref _isLeader, null, isLeader));
    }

    /// <summary>
    /// Tallies runs by namespace and phase. A run the controller has not reconciled yet has no phase:
    /// it waits like a queued run, so it counts as Queued.
    /// </summary>
    public static IEnumerable<DagRunCount> CountDagRuns(IEnumerable<DagRun> runs) =>
        runs.GroupBy(run => (Namespace: run.Metadata.Namespace ?? "", Phase: run.Status?.Phase ?? RunPhase.Queued))
            .Select(group => new DagRunCount(group.Key.Namespace, group.Key.Phase, group.LongCount()));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }

    // Every phase of every namespace that has runs is reported, zeros included, so a phase that
    // empties reads 0 instead of vanishing (rate() and alerts on "Failed > 0" stay meaningful).
    private IEnumerable<Measurement<long>> ObserveDagRunCounts()
    {
        if (_dagRunCounts is not { } source)
        {
            return [];
        }
        var totals = new Dictionary<(string Namespace, RunPhase Phase), long>();
        foreach (var count in source())
        {
            foreach (var phase in Enum.GetValues<RunPhase>())
            {
                totals.TryAdd((count.Namespace, phase), 0);
            }
            totals[(count.Namespace, count.Phase)] += count.Count;
        }
        return totals.Select(total => new Measurement<long>(total.Value,
            new KeyValuePair<string, object?>("namespace", total.Key.Namespace),
            new KeyValuePair<string, object?>("phase", total.Key.Phase.ToString())));
    }

    private IEnumerable<Measurement<long>> ObserveQueueDepths() =>
        _queueDepths.Select(queue => new Measurement<long>(queue.Value(), new KeyValuePair<string, object?>("queue", queue.Key)));

    private IEnumerable<Measurement<int>> ObserveLeadership() =>
        _isLeader is { } isLeader ? [new Measurement<int>(isLeader() ? 1 : 0)] : [];

    private sealed class Registration(Action unregister) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                unregister();
            }
        }
    }
}
