using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Observability;
using K8sFlow.Operator.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.Tests.Hosting;

/// <summary>The ASP.NET host and leader election, on the real clock (short leases), against the in-memory API.</summary>
public class OperatorHostTests
{
    private static readonly LeaderElectionSettings FastLease = new()
    {
        Enabled = true,
        LeaseName = "k8sflow-operator",
        LeaseDuration = TimeSpan.FromSeconds(4),
        RenewDeadline = TimeSpan.FromSeconds(3),
        RetryPeriod = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public void Sources_FlagsOverEnvironmentOverAppSettings()
    {
        Environment.SetEnvironmentVariable("K8SFLOW_WORKERS", "5");
        Environment.SetEnvironmentVariable("K8SFLOW_LEADERELECTION__LEASENAME", "from-env");
        try
        {
            var configuration = OperatorHost.AddOperatorSources(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Workers"] = "2",
                ["MetricsPort"] = "9000",
                ["LeaderElection:LeaseName"] = "from-appsettings",
            }), ["--workers=9", "--leader-election=false", "--namespaces", "a,b", "--lease-identity=pod-a"]).Build();

            var options = OperatorOptions.Bind(configuration).Options!;

            options.Workers.Should().Be(9);
            options.MetricsPort.Should().Be(9000);
            options.LeaderElection.LeaseName.Should().Be("from-env");
            options.LeaderElection.Enabled.Should().BeFalse();
            options.Namespaces.Should().Equal("a", "b");
            options.LeaderElection.Identity.Should().Be("pod-a");
        }
        finally
        {
            Environment.SetEnvironmentVariable("K8SFLOW_WORKERS", null);
            Environment.SetEnvironmentVariable("K8SFLOW_LEADERELECTION__LEASENAME", null);
        }
    }

    [Fact]
    public void CreateBuilder_InvalidFlag_ListsTheProblem()
    {
        var act = () => OperatorHost.CreateBuilder(["--workers", "none"], new FakeKube());

        act.Should().Throw<OperatorOptionsException>().Which.Errors.Should().Equal("Workers: 'none' is not an integer from 1 to 2147483647");
    }

    [Fact]
    public async Task Host_RunsTheOperator_ARunSucceeds_ReadyzAndMetricsServed()
    {
        var kube = new FakeKube();
        await using var runner = new FakeJobRunner(kube, TimeProvider.System);
        await using var app = OperatorHost.Build(
            ["--leader-election=false", "--metrics-port=0", "--resync-period=0s", "--log-level=Warning", "--log-format=console"], kube);
        await app.StartAsync(Wait.Token());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)) };
            kube.Seed(KubeKinds.Dag, Dag("etl", Chain("a", "b")));
            kube.Seed(KubeKinds.DagRun, Run("etl-1", "etl"));

            await kube.Changed.WaitUntilAsync(() => kube.Find(KubeKinds.DagRun, Ns, "etl-1")?.Status?.Phase == RunPhase.Succeeded, "the run succeeds");

            (await http.GetStringAsync("/readyz")).Should().Be("ready: leader, informers synced\n");
            var metrics = await http.GetStringAsync("/metrics");
            metrics.Should().Contain("k8sflow_reconcile_duration_seconds_bucket{controller=\"dagrun\"")
                .And.Contain("k8sflow_task_outcomes_total{outcome=\"success\"} 2")
                .And.Contain("k8sflow_dagruns{namespace=\"team-a\",phase=\"Succeeded\"} 1")
                .And.Contain("k8sflow_task_scheduling_latency_seconds_count 2")
                .And.Contain("k8sflow_workqueue_depth{queue=\"dagrun\"}");
        }
        finally
        {
            await app.StopAsync(Wait.Token());
        }
    }

    [Fact]
    public async Task TwoOperators_OneLeads_StandbyTakesOverWhenTheLeaderStops()
    {
        var kube = new FakeKube();
        await using var runner = new FakeJobRunner(kube, TimeProvider.System);
        var options = new OperatorOptions { ResyncPeriod = null, LeaderElection = FastLease };
        var first = K8sFlowOperator.Start(kube, options with { LeaderElection = FastLease with { Identity = "op-a" } });
        await first.WaitUntilLeadingAsync(Wait.Token());
        await using var second = K8sFlowOperator.Start(kube, options with { LeaderElection = FastLease with { Identity = "op-b" } });
        await second.WaitUntilReadyAsync(Wait.Token());
        await kube.Changed.WaitUntilAsync(() => second.Leader == "op-a", "the standby has seen the leader");

        second.IsLeader.Should().BeFalse();
        first.IsLeader.Should().BeTrue();
        second.Readiness.Check().Should().Be(new ReadinessReport(true, "ready: standby, informers synced (leader is op-a)"));
        first.Readiness.Check().Should().Be(new ReadinessReport(true, "ready: leader, informers synced"));

        await first.DisposeAsync(); // releases the lease
        await second.WaitUntilLeadingAsync(Wait.Token());
        kube.Seed(KubeKinds.Dag, Dag("etl", Task("a")));
        kube.Seed(KubeKinds.DagRun, Run("etl-1", "etl"));
        await kube.Changed.WaitUntilAsync(() => kube.Find(KubeKinds.DagRun, Ns, "etl-1")?.Status?.Phase == RunPhase.Succeeded, "the new leader runs it");

        kube.Find(KubeKinds.Lease, Ns, "k8sflow-operator")!.Spec.HolderIdentity.Should().Be("op-b");
    }
}
