using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace K8sFlow.Operator.Tests.Observability;

public sealed class K8sFlowMetricsTests : IDisposable
{
    private readonly K8sFlowMetrics _metrics = new();
    private readonly PrometheusTextExporter _exporter;

    public K8sFlowMetricsTests() => _exporter = new PrometheusTextExporter(_metrics.Meter);

    public void Dispose()
    {
        _exporter.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public void Meter_IsNamedK8sFlow()
    {
        _metrics.Meter.Name.Should().Be("K8sFlow");
    }

    [Theory]
    [InlineData(TaskState.Success, "success")]
    [InlineData(TaskState.UpForRetry, "up_for_retry")]
    [InlineData(TaskState.UpstreamFailed, "upstream_failed")]
    public void RecordTaskOutcome_LabelsWithAirflowStateName(TaskState state, string label)
    {
        _metrics.RecordTaskOutcome(state);
        _metrics.RecordTaskOutcome(state);

        Samples().Should().Contain($"k8sflow_task_outcomes_total{{outcome=\"{label}\"}} 2");
    }

    [Fact]
    public void RecordReconcile_FillsTheControllersHistogramInSeconds()
    {
        _metrics.RecordReconcile("dagrun", TimeSpan.FromMilliseconds(20));

        Samples().Should().Contain(
            "k8sflow_reconcile_duration_seconds_bucket{controller=\"dagrun\",le=\"0.01\"} 0",
            "k8sflow_reconcile_duration_seconds_bucket{controller=\"dagrun\",le=\"0.025\"} 1",
            "k8sflow_reconcile_duration_seconds_count{controller=\"dagrun\"} 1",
            "k8sflow_reconcile_duration_seconds_sum{controller=\"dagrun\"} 0.02");
    }

    [Fact]
    public void RecordSchedulingLatency_UsesItsOwnBuckets()
    {
        _metrics.RecordSchedulingLatency(TimeSpan.FromSeconds(45));

        var buckets = Samples().Where(s => s.StartsWith("k8sflow_task_scheduling_latency_seconds_bucket", StringComparison.Ordinal)).ToList();

        buckets.Should().HaveCount(K8sFlowMetrics.SchedulingLatencyBuckets.Count + 1);
        buckets.Should().Contain(["k8sflow_task_scheduling_latency_seconds_bucket{le=\"30\"} 0",
            "k8sflow_task_scheduling_latency_seconds_bucket{le=\"60\"} 1"]);
    }

    [Theory]
    [InlineData(KubeVerb.Get, 200, "get", "200", null)]
    [InlineData(KubeVerb.Create, 409, "create", "409", "Conflict")]
    [InlineData(KubeVerb.Update, 422, "update", "422", "Invalid")]
    [InlineData(KubeVerb.List, 503, "list", "503", "ServiceUnavailable")]
    [InlineData(KubeVerb.Watch, null, "watch", "<error>", "NoResponse")]
    public void OnRequest_CountsEveryAttemptAndFailuresByReason(KubeVerb verb, int? code, string verbLabel, string codeLabel, string? reason)
    {
        _metrics.OnRequest(new KubeRequestRecord(verb, KubeKinds.Job, "default", "job-1", null, code, 1, TimeSpan.FromMilliseconds(5)));

        var samples = Samples();

        samples.Should().Contain($"k8sflow_api_requests_total{{code=\"{codeLabel}\",verb=\"{verbLabel}\"}} 1");
        if (reason is null)
        {
            samples.Should().NotContain(s => s.StartsWith("k8sflow_api_errors_total", StringComparison.Ordinal));
        }
        else
        {
            samples.Should().Contain($"k8sflow_api_errors_total{{reason=\"{reason}\"}} 1");
        }
    }

    [Fact]
    public void ObserveDagRuns_ReportsEveryPhaseOfEveryNamespace_ZerosIncluded()
    {
        _metrics.ObserveDagRuns(() => [new DagRunCount("ml", RunPhase.Running, 2), new DagRunCount("ml", RunPhase.Failed, 1)]);

        Samples().Should().Equal(
            "k8sflow_dagruns{namespace=\"ml\",phase=\"Failed\"} 1",
            "k8sflow_dagruns{namespace=\"ml\",phase=\"Queued\"} 0",
            "k8sflow_dagruns{namespace=\"ml\",phase=\"Running\"} 2",
            "k8sflow_dagruns{namespace=\"ml\",phase=\"Succeeded\"} 0");
    }

    [Fact]
    public void CountDagRuns_GroupsByNamespaceAndPhase_UnreconciledRunsAreQueued()
    {
        DagRun[] runs =
        [
            Run("a", RunPhase.Running), Run("a", RunPhase.Running), Run("a", phase: null), Run("b", RunPhase.Succeeded),
        ];

        K8sFlowMetrics.CountDagRuns(runs).Should().BeEquivalentTo(new[]
        {
            new DagRunCount("a", RunPhase.Running, 2),
            new DagRunCount("a", RunPhase.Queued, 1),
            new DagRunCount("b", RunPhase.Succeeded, 1),
        });
    }

    [Fact]
    public void ObserveWorkQueueDepth_ReadsEachQueueAtScrape_DisposeUnregisters()
    {
        var depth = 4;
        using var dags = _metrics.ObserveWorkQueueDepth("dag", () => 1);
        var runs = _metrics.ObserveWorkQueueDepth("dagrun", () => depth);
        depth = 9;

        var before = Samples();
        runs.Dispose();
        var after = Samples();

        before.Should().Equal("k8sflow_workqueue_depth{queue=\"dag\"} 1", "k8sflow_workqueue_depth{queue=\"dagrun\"} 9");
        after.Should().Equal("k8sflow_workqueue_depth{queue=\"dag\"} 1");
    }

    [Fact]
    public void ObserveLeadership_IsOneWhileLeadingElseZero()
    {
        var leading = false;
        _metrics.ObserveLeadership(() => leading);

        var standby = Samples();
        leading = true;
        var leader = Samples();

        standby.Should().Equal("k8sflow_leader 0");
        leader.Should().Equal("k8sflow_leader 1");
    }

    [Fact]
    public void DisposingAnOldRegistration_DoesNotRemoveItsReplacement()
    {
        var old = _metrics.ObserveLeadership(() => false);
        _metrics.ObserveLeadership(() => true);

        old.Dispose();

        Samples().Should().Equal("k8sflow_leader 1");
    }

    [Fact]
    public void MetricsFromTheMeterFactory_AreScopedPerFactory()
    {
        using var services = new ServiceCollection()
            .AddK8sFlowObservability()
            .AddLogging()
            .BuildServiceProvider();
        var metrics = services.GetRequiredService<K8sFlowMetrics>();

        metrics.RecordTaskOutcome(TaskState.Failed);

        Samples().Should().BeEmpty("the other host's metrics must not leak into this exporter");
        services.GetRequiredService<IMetricsExporter>().Should().BeOfType<PrometheusTextExporter>()
            .Which.Export().Should().Contain("k8sflow_task_outcomes_total{outcome=\"failed\"} 1");
    }

    private List<string> Samples() =>
        [.. _exporter.Export().Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#'))];

    private static DagRun Run(string @namespace, RunPhase? phase) => new()
    {
        Metadata = new ObjectMeta { Namespace = @namespace, Name = Guid.NewGuid().ToString("N") },
        Status = phase is null ? null : new DagRunStatus { Phase = phase },
    };
}
