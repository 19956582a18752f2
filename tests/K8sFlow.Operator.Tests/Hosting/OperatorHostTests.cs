using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
            }), ["--workers", "9", "--leader-elect", "false", "--namespaces", "a,b"]).Build();

            var options = OperatorOptions.Bind(configuration).Options!;

            options.Workers.Should().Be(9);
            options.MetricsPort.Should().Be(9000);
            options.LeaderElection.LeaseName.Should().Be("from-env");
            options.LeaderElection.Enabled.Should().BeFalse();
            options.Namespaces.Should().Equal("a", "b");
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
    public async Task Host_RunsTheOperator_ARunSucceeds()
    {
        var kube = new FakeKube();
        await using var runner = new FakeJobRunner(kube, TimeProvider.System);
        var builder = OperatorHost.CreateBuilder(["--leader-elect", "false", "--metrics-port", "0", "--resync-period", "0s", "--log-level", "Warning"], kube);
        await using var app = builder.Build();
        await app.StartAsync(Wait.Token());
        try
        {
            var state = app.Services.GetRequiredService<OperatorState>();
            await state.WhenReady.WaitAsync(Wait.Bound);
            kube.Seed(KubeKinds.Dag, Dag("etl", Chain("a", "b")));
            kube.Seed(KubeKinds.DagRun, Run("etl-1", "etl"));

            await kube.Changed.WaitUntilAsync(() => kube.Find(KubeKinds.DagRun, Ns, "etl-1")?.Status?.Phase == RunPhase.Succeeded, "the run succeeds");
            state.Describe().Should().Be("ready: leading (leader election off)");
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
        await kube.Changed.WaitUntilAsync(() => second.State.Leader == "op-a", "the standby has seen the leader");

        second.State.IsLeader.Should().BeFalse();
        second.State.Describe().Should().Be("ready: standby (leader: op-a)");
        first.State.Describe().Should().Be("ready: leading as op-a");

        await first.DisposeAsync(); // releases the lease
        await second.WaitUntilLeadingAsync(Wait.Token());
        kube.Seed(KubeKinds.Dag, Dag("etl", Task("a")));
        kube.Seed(KubeKinds.DagRun, Run("etl-1", "etl"));
        await kube.Changed.WaitUntilAsync(() => kube.Find(KubeKinds.DagRun, Ns, "etl-1")?.Status?.Phase == RunPhase.Succeeded, "the new leader runs it");

        kube.Find(KubeKinds.Lease, Ns, "k8sflow-operator")!.Spec.HolderIdentity.Should().Be("op-b");
    }
}
