using K8sFlow.Core.Api;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.IntegrationTests.Support;
using K8sFlow.Operator.Tests.Tools;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>The operator's ASP.NET host, as the Deployment runs it, scraped after a run.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task OperatorHost_AfterARun_MetricsPassPromtoolAndCountTheRunAndItsTasks_Ready()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        using var client = OperatorCluster.CreateClient(cluster.Cluster);
        await using var app = OperatorHost.Build(
            ["--leader-election=false", "--metrics-port=0", "--resync-period=0s", "--log-level=Warning", "--log-format=console", $"--namespaces={OperatorCluster.Ns}"],
            client);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)) };
        await cluster.ApplyAsync(Dag("metered", Chain("a", "b")));
        await cluster.CreateAsync(Run("metered-1", "metered"));
        await cluster.WaitForPhaseAsync("metered-1", RunPhase.Succeeded);
        // k8sflow_dagruns reads the operator's cache. A run refused after metered-1 finished reaches that cache through
        // the same watch, so once the operator has refused it, its cache holds metered-1 as Succeeded.
        await cluster.CreateAsync(Run("barrier", "no-such-dag"));
        await cluster.WaitForRunAsync("barrier", r => r.Status?.Conditions?.Any(c => c.Reason == RunRefusals.DagNotFound) == true, "refused: no Dag");

        var exposition = await http.GetStringAsync("/metrics");
        var readiness = await http.GetStringAsync("/readyz");

        var check = await ExternalTool.Promtool.RunAsync(["check", "metrics"], exposition);
        check.ExitCode.Should().Be(0, $"promtool check metrics found problems:\n{check.Output}\n--- exposition ---\n{exposition}");
        exposition.Should().Contain($"k8sflow_dagruns{{namespace=\"{OperatorCluster.Ns}\",phase=\"Succeeded\"}} 1\n")
            .And.Contain("k8sflow_task_outcomes_total{outcome=\"success\"} 2\n");
        readiness.Should().Be("ready: leader, informers synced\n");
    }
}
