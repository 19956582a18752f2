using System.Collections.Concurrent;
using K8sFlow.Kubernetes.LeaderElection;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>
/// Two candidates, each with its own client, against the real Lease API. Short leases make failover
/// quick; every wait is on a callback with a generous bound, and nothing asserts how long anything took.
/// </summary>
public sealed class LeaderElectionIntegrationTests
{
    private const string Ns = "default";
    private const string LeaseName = "k8sflow-operator";

    /// <summary>One candidate: its elector, its run, and what its callbacks reported.</summary>
    private sealed class Candidate : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _leadersSeen = new(StringComparer.Ordinal);
        private Task _running = Task.CompletedTask;

        public Candidate(LiveCluster cluster, string identity, TimeSpan leaseDuration, TimeSpan renewDeadline, bool releaseOnCancel)
        {
            Identity = identity;
            Elector = new LeaderElector(cluster.NewClient(), new LeaderElectionOptions
            {
                LeaseNamespace = Ns,
                LeaseName = LeaseName,
                Identity = identity,
                LeaseDuration = leaseDuration,
                RenewDeadline = renewDeadline,
                RetryPeriod = TimeSpan.FromMilliseconds(200),
                ReleaseOnCancel = releaseOnCancel,
                OnStartedLeading = _ =>
                {
                    _leading.TrySetResult();
                    return Task.CompletedTask;
                },
                OnStoppedLeading = () => _stopped.TrySetResult(),
                OnNewLeader = leader => Seen(leader).TrySetResult(),
            });
        }

        public string Identity { get; }

        public LeaderElector Elector { get; }

        public Task Leading => _leading.Task;

        public Task Stopped => _stopped.Task;

        /// <summary>Completes when this candidate's OnNewLeader reported <paramref name="leader"/> (it read the lease held by it).</summary>
        public Task SawLeaderAsync(string leader) => Seen(leader).Task.Within();

        public Candidate Start()
        {
            _running = Elector.RunAsync(_stop.Token);
            return this;
        }

        /// <summary>Shuts the candidate down and waits until its campaign returned.</summary>
        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running.Within();
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private TaskCompletionSource Seen(string leader) =>
            _leadersSeen.GetOrAdd(leader, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    private static Candidate ShortLease(LiveCluster cluster, string identity, bool releaseOnCancel = true) =>
        new(cluster, identity, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), releaseOnCancel);

    private static async Task<Lease> LeaseAsync(LiveCluster cluster) => await cluster.Client.GetAsync(KubeKinds.Lease, Ns, LeaseName, Live.Token());

    [Fact]
    public async Task TwoCandidates_ExactlyOneLeads_AndTheOtherFollowsIt()
    {
        await using var cluster = await LiveCluster.StartAsync();
        await using var a = ShortLease(cluster, "candidate-a").Start();
        await using var b = ShortLease(cluster, "candidate-b").Start();

        await Task.WhenAny(a.Leading, b.Leading).Within();
        var (leader, follower) = a.Leading.IsCompleted ? (a, b) : (b, a);
        // Once the follower has read the lease held by the leader, it has tried and failed to acquire it.
        await follower.SawLeaderAsync(leader.Identity);

        (await LeaseAsync(cluster)).Spec.HolderIdentity.Should().Be(leader.Identity);
        leader.Elector.IsLeader.Should().BeTrue();
        follower.Elector.IsLeader.Should().BeFalse();
        follower.Leading.IsCompleted.Should().BeFalse();
        follower.Elector.CurrentLeader.Should().Be(leader.Identity);
    }

    [Fact]
    public async Task LeaderStopsRenewingWithoutRelease_TheOtherTakesOverOnlyAfterTheLeaseExpires()
    {
        await using var cluster = await LiveCluster.StartAsync();
        await using var first = ShortLease(cluster, "first", releaseOnCancel: false).Start();
        await first.Leading.Within();
        await using var second = ShortLease(cluster, "second").Start();
        await second.SawLeaderAsync("first");

        var lastSeenHeld = await LeaseAsync(cluster);
        await first.StopAsync();
        await second.Leading.Within();
        var taken = await LeaseAsync(cluster);

        first.Stopped.IsCompleted.Should().BeTrue();
        lastSeenHeld.Spec.HolderIdentity.Should().Be("first");
        taken.Spec.HolderIdentity.Should().Be("second");
        taken.Spec.LeaseTransitions.Should().Be(lastSeenHeld.Spec.LeaseTransitions + 1);
        // The first leader renewed at or after lastSeenHeld's renewTime; without a release the successor
        // must wait a full lease duration after the last renewal (a release would have let it in at once).
        taken.Spec.AcquireTime.Should().BeOnOrAfter(lastSeenHeld.Spec.RenewTime!.Value + TimeSpan.FromSeconds(lastSeenHeld.Spec.LeaseDurationSeconds!.Value));
    }

    [Fact]
    public async Task LeaderReleasesOnShutdown_TheOtherTakesOverWithoutWaitingForExpiry()
    {
        await using var cluster = await LiveCluster.StartAsync();
        // A lease far longer than the wait below: only the release can let the successor in.
        var longLease = TimeSpan.FromMinutes(10);
        await using var first = new Candidate(cluster, "first", longLease, TimeSpan.FromMinutes(5), releaseOnCancel: true).Start();
        await first.Leading.Within();
        await using var second = new Candidate(cluster, "second", longLease, TimeSpan.FromMinutes(5), releaseOnCancel: true).Start();
        await second.SawLeaderAsync("first");

        await first.StopAsync();
        await second.Leading.Within();

        (await LeaseAsync(cluster)).Spec.HolderIdentity.Should().Be("second");
    }
}
