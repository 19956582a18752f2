using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>Two replicas with a Lease: one reconciles, the other takes over when it goes.</summary>
public sealed class LeaderElectionTests
{
    private const string LeaseName = "k8sflow-operator";

    private static OperatorOptions Replica(string identity) => OperatorCluster.SingleInstance with
    {
        LeaderElection = new LeaderElectionSettings
        {
            Enabled = true,
            LeaseName = LeaseName,
            LeaseNamespace = OperatorCluster.Ns,
            Identity = identity,
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(500),
        },
    };

    [Fact]
    public async Task TwoReplicas_ExactlyOneLeads_WhenItStopsTheStandbyTakesOverAndRunsNewRuns()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var a = await cluster.StartOperatorAsync(Replica("replica-a"));
        var b = await cluster.StartOperatorAsync(Replica("replica-b"));
        using var patience = new CancellationTokenSource(OperatorCluster.Patience);
        var aLeads = a.WaitUntilLeadingAsync(patience.Token);
        var bLeads = b.WaitUntilLeadingAsync(patience.Token);
        var (leader, standby, standbyLeads) = await System.Threading.Tasks.Task.WhenAny(aLeads, bLeads) == aLeads ? (a, b, bLeads) : (b, a, aLeads);

        (await HolderAsync(cluster)).Should().Be(leader.Identity);
        await cluster.ApplyAsync(Dag("ha", Chain("first", "second")));
        await cluster.CreateAsync(Run("ha-1", "ha"));
        await cluster.WaitForPhaseAsync("ha-1", RunPhase.Succeeded);
        await WaitForEventAsync(cluster, "ha-1", DagRunEventReasons.Succeeded);
        standbyLeads.IsCompleted.Should().BeFalse("the standby never ran its controllers while the leader held the lease");
        standby.IsLeader.Should().BeFalse();
        cluster.View.EventsOf("ha-1").Should().OnlyContain(e => e.ReportingInstance == leader.Identity, "only the leader reconciled");

        // A graceful stop releases the lease: the standby need not wait for it to expire.
        await cluster.StopOperatorAsync(leader);
        await standbyLeads;
        (await HolderAsync(cluster)).Should().Be(standby.Identity);
        await cluster.CreateAsync(Run("ha-2", "ha"));
        await cluster.WaitForPhaseAsync("ha-2", RunPhase.Succeeded);
        await WaitForEventAsync(cluster, "ha-2", DagRunEventReasons.Succeeded);
        cluster.View.EventsOf("ha-2").Should().OnlyContain(e => e.ReportingInstance == standby.Identity);
    }

    [Fact]
    public async Task LeaderCutOffFromTheApi_StepsDown_StandbyTakesOverAndRunsNewRuns()
    {
        using var network = new NetworkPartition();
        await using var cluster = await OperatorCluster.StartAsync();
        var a = await cluster.StartOperatorAsync(Replica("replica-a"), network: network);
        using var patience = new CancellationTokenSource(OperatorCluster.Patience);
        await a.WaitUntilLeadingAsync(patience.Token);
        var b = await cluster.StartOperatorAsync(Replica("replica-b"));
        await cluster.ApplyAsync(Dag("ha", Chain("first", "second")));

        // Requests of replica-a go unanswered from now on: it cannot renew, nor release, its lease.
        network.BlackHole();
        await b.WaitUntilLeadingAsync(patience.Token);
        await cluster.View.WaitForAsync(() => a.IsLeader ? null : a, "replica-a steps down");

        (await HolderAsync(cluster)).Should().Be(b.Identity);
        await cluster.CreateAsync(Run("ha-1", "ha"));
        await cluster.WaitForPhaseAsync("ha-1", RunPhase.Succeeded);
        await WaitForEventAsync(cluster, "ha-1", DagRunEventReasons.Succeeded);
        cluster.View.EventsOf("ha-1").Should().OnlyContain(e => e.ReportingInstance == b.Identity);
    }

    private static async Task<string?> HolderAsync(OperatorCluster cluster) =>
        (await cluster.Client.GetAsync(KubeKinds.Lease, OperatorCluster.Ns, LeaseName)).Spec?.HolderIdentity;

    private static Task<Event> WaitForEventAsync(OperatorCluster cluster, string run, string reason) =>
        cluster.View.WaitForAsync(() => cluster.View.EventsOf(run).FirstOrDefault(e => e.Reason == reason), $"event {reason} on {run}");
}
