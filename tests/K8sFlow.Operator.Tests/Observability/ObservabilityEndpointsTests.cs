using System.Net;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Observability;
using K8sFlow.Operator.Tests.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Tests.Observability;

/// <summary>The endpoints on a real Kestrel listener, scraped over HTTP as Prometheus and the kubelet do.</summary>
public sealed class ObservabilityEndpointsTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    private K8sFlowMetrics Metrics => _app.Services.GetRequiredService<K8sFlowMetrics>();
    private OperatorReadiness Readiness => _app.Services.GetRequiredService<OperatorReadiness>();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddK8sFlowObservability();
        _app = builder.Build();
        _app.MapK8sFlowObservability();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_ServesPrometheusTextWithItsContentType()
    {
        Metrics.RecordTaskOutcome(TaskState.Success);

        using var response = await _http.GetAsync("/metrics");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Be("text/plain; version=0.0.4; charset=utf-8");
        (await response.Content.ReadAsStringAsync()).Should().Contain("k8sflow_task_outcomes_total{outcome=\"success\"} 1\n");
    }

    [Fact]
    public async Task Metrics_WithEveryInstrumentFed_PassesPromtoolCheckMetrics()
    {
        FeedEveryInstrument();
        var exposition = await _http.GetStringAsync("/metrics");

        var check = await ExternalTool.Promtool.RunAsync(["check", "metrics"], exposition);

        check.ExitCode.Should().Be(0, $"promtool check metrics found problems:\n{check.Output}\n--- exposition ---\n{exposition}");
        exposition.Should().Contain("# TYPE k8sflow_dagruns gauge")
            .And.Contain("# TYPE k8sflow_task_outcomes_total counter")
            .And.Contain("# TYPE k8sflow_reconcile_duration_seconds histogram")
            .And.Contain("# TYPE k8sflow_workqueue_depth gauge")
            .And.Contain("# TYPE k8sflow_task_scheduling_latency_seconds histogram")
            .And.Contain("# TYPE k8sflow_api_requests_total counter")
            .And.Contain("# TYPE k8sflow_api_errors_total counter")
            .And.Contain("# TYPE k8sflow_leader gauge");
    }

    [Fact]
    public async Task Metrics_LeaderGauge_FollowsTheReadinessRole()
    {
        Readiness.SetRole(OperatorRole.Leader);

        var exposition = await _http.GetStringAsync("/metrics");

        exposition.Should().Contain("\nk8sflow_leader 1\n");
    }

    [Fact]
    public async Task Healthz_AnswersOkWhileTheProcessRuns()
    {
        using var response = await _http.GetAsync("/healthz");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("ok\n");
    }

    [Theory]
    [InlineData(OperatorRole.Leader, false, HttpStatusCode.ServiceUnavailable, "not ready: leader, informers not synced yet\n")]
    [InlineData(OperatorRole.Leader, true, HttpStatusCode.OK, "ready: leader, informers synced\n")]
    [InlineData(OperatorRole.Standby, false, HttpStatusCode.OK, "ready: standby, waiting for the lease (leader is operator-0)\n")]
    public async Task Readyz_AnswersWithTheRoleAndSyncState(OperatorRole role, bool synced, HttpStatusCode status, string body)
    {
        Readiness.SetRole(role, role == OperatorRole.Standby ? "operator-0" : null);
        Readiness.SetInformersSynced(synced);

        using var response = await _http.GetAsync("/readyz");

        response.StatusCode.Should().Be(status);
        (await response.Content.ReadAsStringAsync()).Should().Be(body);
    }

    private void FeedEveryInstrument()
    {
        Readiness.SetRole(OperatorRole.Leader);
        Metrics.ObserveDagRuns(() => [new DagRunCount("ml", RunPhase.Running, 1), new DagRunCount("etl \"nightly\"", RunPhase.Succeeded, 3)]);
        Metrics.ObserveWorkQueueDepth("dagrun", () => 2);
        foreach (var state in new[] { TaskState.Success, TaskState.Failed, TaskState.UpForRetry })
        {
            Metrics.RecordTaskOutcome(state);
        }
        Metrics.RecordReconcile("dagrun", TimeSpan.FromMilliseconds(12));
        Metrics.RecordReconcile("dag", TimeSpan.FromSeconds(30));
        Metrics.RecordSchedulingLatency(TimeSpan.FromMilliseconds(300));
        foreach (var code in new int?[] { 200, 201, 409, null })
        {
            Metrics.OnRequest(new KubeRequestRecord(KubeVerb.Create, KubeKinds.Job, "ml", "job", null, code, 1, TimeSpan.Zero));
        }
    }
}
