using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Kubernetes.LeaderElection;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.LeaderElection;

public sealed class LeaderElectorTests : IAsyncDisposable
{
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/k8sflow-system/leases/k8sflow-operator";
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    private readonly FakeObjectStore _store = new();
    private readonly ManualTimeProvider _time = new();
    private readonly List<Candidate> _candidates = [];
    private int _leaders;
    private int _maxLeaders;

    public async ValueTask DisposeAsync()
    {
        foreach (var candidate in _candidates)
        {
            await candidate.Stop.CancelAsync();
            await candidate.Run.WaitAsync(TestWait.Bound);
        }
    }

    [Fact]
    public async Task TwoCandidates_OnlyFirstLeads_AndKeepsRenewing()
    {
        var a = StartCandidate("a");
        await a.Started.Task.WaitAsync(TestWait.Bound);
        var b = StartCandidate("b");

        for (var step = 0; step < 5; step++)
        {
            await StepAsync();
        }
        await ParkedAsync();

        a.Elector.IsLeader.Should().BeTrue();
        b.Elector.IsLeader.Should().BeFalse();
        b.NewLeaders.Should().Equal("a");
        var spec = _store[LeasePath]!["spec"]!;
        spec["holderIdentity"]!.GetValue<string>().Should().Be("a");
        spec["renewTime"]!.GetValue<string>().Should().Be("2026-01-01T00:00:10.000000Z");
        spec["acquireTime"]!.GetValue<string>().Should().Be("2026-01-01T00:00:00.000000Z");
        spec["leaseTransitions"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public async Task LeaderCutOff_StepsDownAfterRenewDeadline_OtherTakesOverAfterLeaseExpiry()
    {
        var a = StartCandidate("a");
        await a.Started.Task.WaitAsync(TestWait.Bound);
        var b = StartCandidate("b");
        await StepAsync();
        await ParkedAsync();
        a.Partitioned = true;
        var lastRenew = _time.GetUtcNow();

        while (!b.Started.Task.IsCompleted)
        {
            await StepAsync();
        }

        (a.StoppedAt - lastRenew).Should().Be(TimeSpan.FromSeconds(10), "a gives up at the renew deadline");
        _maxLeaders.Should().Be(1);
        var spec = _store[LeasePath]!["spec"]!;
        spec["holderIdentity"]!.GetValue<string>().Should().Be("b");
        spec["acquireTime"]!.GetValue<string>().Should().Be(MicroTime(lastRenew + TimeSpan.FromSeconds(16)), "b waits for renewTime + 15 s, checked every 2 s");
        spec["leaseTransitions"]!.GetValue<int>().Should().Be(1);
        b.NewLeaders.Should().Equal("a", "b");
    }

    [Fact]
    public async Task LeaderUnanswered_GivesUpItsRenewalAtTheDeadline_OneLeaderAtATime()
    {
        var a = StartCandidate("a");
        await a.Started.Task.WaitAsync(TestWait.Bound);
        var b = StartCandidate("b");
        await StepAsync();
        await ParkedAsync();
        a.Unanswered = true;
        var lastRenew = _time.GetUtcNow();

        while (!b.Started.Task.IsCompleted)
        {
            await StepAsync();
        }

        (a.StoppedAt - lastRenew).Should().Be(TimeSpan.FromSeconds(10), "a request without an answer ends at the renew deadline");
        _maxLeaders.Should().Be(1, "a stopped leading before b started");
        _store[LeasePath]!["spec"]!["holderIdentity"]!.GetValue<string>().Should().Be("b");
    }

    [Fact]
    public async Task LeaderCancelled_ReleasesLease_OtherTakesOverAtNextRetry()
    {
        var a = StartCandidate("a");
        await a.Started.Task.WaitAsync(TestWait.Bound);
        var b = StartCandidate("b");
        await StepAsync();
        await ParkedAsync();

        await a.Stop.CancelAsync();
        await a.Run.WaitAsync(TestWait.Bound);
        _store[LeasePath]!["spec"]!["holderIdentity"].Should().BeNull();
        var releasedAt = _time.GetUtcNow();
        await StepAsync();
        await b.Started.Task.WaitAsync(TestWait.Bound);

        a.Stopped.Task.IsCompleted.Should().BeTrue();
        a.LeadingTokenCancelled.Should().BeTrue();
        _store[LeasePath]!["spec"]!["acquireTime"]!.GetValue<string>().Should().Be(MicroTime(releasedAt + Retry), "no wait for expiry after a release");
        _store[LeasePath]!["spec"]!["leaseTransitions"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task TryAcquire_NoLease_CreatesItWithMicroTimes()
    {
        var elector = new LeaderElector(_store.Client(), Options("a"), _time);

        var acquired = await elector.TryAcquireOrRenewAsync(TestWait.Token());

        acquired.Should().BeTrue();
        _store[LeasePath]!["spec"]!.ToJsonString().Should().Be(
            """{"holderIdentity":"a","leaseDurationSeconds":15,"acquireTime":"2026-01-01T00:00:00.000000Z","renewTime":"2026-01-01T00:00:00.000000Z","leaseTransitions":0}""");
    }

    [Fact]
    public async Task TryAcquire_OtherHolderStillValid_Waits()
    {
        await SeedLeaseAsync(holder: "old", renewedAgo: TimeSpan.FromSeconds(14), transitions: 3);
        var elector = new LeaderElector(_store.Client(), Options("a"), _time);

        var acquired = await elector.TryAcquireOrRenewAsync(TestWait.Token());

        acquired.Should().BeFalse();
        elector.CurrentLeader.Should().Be("old");
        _store[LeasePath]!["spec"]!["holderIdentity"]!.GetValue<string>().Should().Be("old");
        _store[LeasePath]!["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be("1", "the lease was not written");
    }

    [Fact]
    public async Task TryAcquire_OtherHolderExpired_TakesOverWithTransition()
    {
        await SeedLeaseAsync(holder: "old", renewedAgo: TimeSpan.FromSeconds(15), transitions: 3);
        var elector = new LeaderElector(_store.Client(), Options("a"), _time);

        var acquired = await elector.TryAcquireOrRenewAsync(TestWait.Token());

        acquired.Should().BeTrue();
        var spec = _store[LeasePath]!["spec"]!;
        spec["holderIdentity"]!.GetValue<string>().Should().Be("a");
        spec["leaseTransitions"]!.GetValue<int>().Should().Be(4);
        spec["acquireTime"]!.GetValue<string>().Should().Be("2026-01-01T00:00:00.000000Z");
    }

    [Fact]
    public async Task TryAcquire_ConflictOnWrite_IsLostRace()
    {
        await SeedLeaseAsync(holder: "old", renewedAgo: TimeSpan.FromMinutes(1), transitions: 0);
        var client = _store.Client(request => request.Method == HttpMethod.Put
            ? FakeHttpHandler.Status(409, "Conflict", "the object has been modified")
            : null);
        var elector = new LeaderElector(client, Options("a"), _time);

        var acquired = await elector.TryAcquireOrRenewAsync(TestWait.Token());

        acquired.Should().BeFalse();
        elector.IsLeader.Should().BeFalse();
    }

    [Fact]
    public void Options_RenewDeadlineNotBelowLeaseDuration_IsRefused()
    {
        var act = () => new LeaderElector(_store.Client(), Options("a") with { RenewDeadline = TimeSpan.FromSeconds(15) });

        act.Should().Throw<ArgumentException>().WithMessage("RenewDeadline (00:00:15) must be shorter than LeaseDuration (00:00:15).*");
    }

    private static LeaderElectionOptions Options(string identity) => new()
    {
        LeaseNamespace = "k8sflow-system",
        LeaseName = "k8sflow-operator",
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(15),
        RenewDeadline = TimeSpan.FromSeconds(10),
        RetryPeriod = Retry,
    };

    private static string MicroTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");

    private async Task SeedLeaseAsync(string holder, TimeSpan renewedAgo, int transitions)
    {
        var renewed = MicroTime(_time.GetUtcNow() - renewedAgo);
        var lease = new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = new JsonObject { ["name"] = "k8sflow-operator", ["namespace"] = "k8sflow-system" },
            ["spec"] = new JsonObject
            {
                ["holderIdentity"] = holder,
                ["leaseDurationSeconds"] = 15,
                ["acquireTime"] = renewed,
                ["renewTime"] = renewed,
                ["leaseTransitions"] = transitions,
            },
        };
        var response = await _store.Client().CreateAsync(KubeKinds.Lease, JsonSerializer.Deserialize<Lease>(lease.ToJsonString(), KubeJson.Options)!);
        response.Spec.HolderIdentity.Should().Be(holder);
    }

    private Candidate StartCandidate(string identity)
    {
        var candidate = new Candidate();
        var client = new FakeHttpHandler(async (request, cancellationToken) =>
        {
            if (candidate.Partitioned)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, "network partition");
            }
            if (candidate.Unanswered)
            {
                // A partition that drops packets: no answer until the caller gives up.
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            return _store.Handle(request);
        }).Client();
        candidate.Elector = new LeaderElector(client, Options(identity) with
        {
            OnStartedLeading = async token =>
            {
                _maxLeaders = Math.Max(_maxLeaders, Interlocked.Increment(ref _leaders));
                candidate.Started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                finally
                {
                    candidate.LeadingTokenCancelled = token.IsCancellationRequested;
                }
            },
            OnStoppedLeading = () =>
            {
                Interlocked.Decrement(ref _leaders);
                candidate.StoppedAt = _time.GetUtcNow();
                candidate.Stopped.TrySetResult();
            },
            OnNewLeader = leader =>
            {
                lock (candidate.NewLeaders)
                {
                    candidate.NewLeaders.Add(leader);
                }
            },
        }, _time);
        candidate.Run = candidate.Elector.RunAsync(candidate.Stop.Token);
        _candidates.Add(candidate);
        return candidate;
    }

    /// <summary>Waits until every running candidate waits on the clock, then moves it one retry period.</summary>
    private async Task StepAsync()
    {
        await ParkedAsync();
        _time.Advance(Retry);
    }

    private async Task ParkedAsync()
    {
        while (true)
        {
            var running = _candidates.Where(c => !c.Run.IsCompleted).ToList();
            var parked = _time.WaitForTimersAsync(running.Count);
            if (running.Count == 0 || await Task.WhenAny(parked, Task.WhenAny(running.Select(c => c.Run))) == parked)
            {
                await parked;
                return;
            }
        }
    }

    private sealed class Candidate
    {
        public LeaderElector Elector { get; set; } = null!;
        public Task Run { get; set; } = Task.CompletedTask;
        public CancellationTokenSource Stop { get; } = new();
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<string> NewLeaders { get; } = [];
        public volatile bool Partitioned;
        public volatile bool Unanswered;
        public DateTimeOffset? StoppedAt { get; set; }
        public bool LeadingTokenCancelled { get; set; }
    }
}
