using System.Globalization;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.Operator.Controllers.Dags;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Observability;
using K8sFlow.Operator.Queue;
using Microsoft.Extensions.Logging.Abstractions;
// The folder (and so this namespace) is named after the class under test; an alias keeps the names apart.
using DagControllerUnderTest = K8sFlow.Operator.Controllers.DagController;

namespace K8sFlow.Operator.Tests.DagController;

/// <summary>
/// The Dag controller against <see cref="InMemoryKubeApi"/> with the operator's informer cache, the
/// controller's own work queue and a fake clock, driven by one worker step by step: each step waits until
/// the informers have handled every event, then processes the queued Dags and requeues them as
/// <see cref="WorkQueue{TKey}"/>'s workers do (delays are timers on the fake clock). Nothing sleeps.
/// </summary>
internal sealed class DagControllerHarness : IAsyncDisposable
{
    public const string Ns = "default";

    /// <summary>A failed pass's first retry comes this much later (then the queue doubles it).</summary>
    public static readonly TimeSpan RetryBackoff = TimeSpan.FromSeconds(1);

    /// <summary>Informers of the operator cache: Dags, DagRuns, Jobs, Pods.</summary>
    private const int Informers = 4;

    private const int MaxPassesPerStep = 1000;

    private DagControllerUnderTest? _controller;
    private K8sFlowMetrics? _metrics;
    private CancellationTokenSource? _stop;
    private Task? _informers;

    private DagControllerHarness(DateTimeOffset now, DagControllerOptions options)
    {
        Time = new ManualTimeProvider(now);
        Api = new InMemoryKubeApi(Time);
        Options = options with { Queue = new WorkQueueOptions { BaseRetryDelay = RetryBackoff } };
    }

    public ManualTimeProvider Time { get; }
    public InMemoryKubeApi Api { get; }
    public RecordingEventRecorder Events { get; } = new();
    public DagControllerOptions Options { get; }

    public DagControllerUnderTest Controller => _controller ?? throw new InvalidOperationException("the controller is stopped");

    /// <summary>Every reconcile's result, in order.</summary>
    public List<(string Dag, ReconcileResult Result)> Results { get; } = [];

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>DagRun creations attempted (including those answered AlreadyExists or failed).</summary>
    public int RunCreates => Api.Requests.Count(r => r.StartsWith("POST dagruns", StringComparison.Ordinal));

    /// <summary>Dag status writes attempted.</summary>
    public int StatusWrites => Api.Requests.Count(r => r.StartsWith("PUT dags/status", StringComparison.Ordinal));

    public static async Task<DagControllerHarness> StartAsync(string now, DagControllerOptions? options = null)
    {
        var harness = new DagControllerHarness(At(now), options ?? new DagControllerOptions());
        await harness.StartControllerAsync();
        return harness;
    }

    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture) ?? "none";

    /// <summary>The operator process ends: informers stop, the queue and every in-memory state are gone.</summary>
    public async Task StopAsync()
    {
        if (_stop is null)
        {
            return;
        }
        await _stop.CancelAsync();
        await _informers!.WaitAsync(TestWait.Bound);
        _stop.Dispose();
        _stop = null;
        _controller!.Queue.Dispose();
        _controller = null;
        _metrics!.Dispose();
    }

    /// <summary>A new controller instance with new informers over the same API objects.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartControllerAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Creates the Dag, or replaces its spec (a new generation when it differs).</summary>
    public async Task ApplyAsync(Dag dag)
    {
        var current = await Api.TryGetAsync(KubeKinds.Dag, Ns, dag.Metadata.Name!);
        if (current is null)
        {
            await Api.CreateAsync(KubeKinds.Dag, dag with { Metadata = dag.Metadata with { Namespace = Ns } });
        }
        else
        {
            await Api.ReplaceAsync(KubeKinds.Dag, current with { Spec = dag.Spec });
        }
    }

    public async Task EditAsync(string dag, Func<DagSpec, DagSpec> edit)
    {
        var current = await Api.GetAsync(KubeKinds.Dag, Ns, dag);
        await Api.ReplaceAsync(KubeKinds.Dag, current with { Spec = edit(current.Spec) });
    }

    public Task<Dag> DagAsync(string name) => Api.GetAsync(KubeKinds.Dag, Ns, name);

    public async Task<DagStatus> StatusAsync(string dag) => (await DagAsync(dag)).Status ?? new DagStatus();

    /// <summary>All DagRuns, by name.</summary>
    public async Task<IReadOnlyList<DagRun>> RunsAsync() =>
        [.. (await Api.ListAsync(KubeKinds.DagRun, Ns)).Items.OrderBy(r => r.Metadata.Name, StringComparer.Ordinal)];

    public async Task<IReadOnlyList<string>> RunNamesAsync() => [.. (await RunsAsync()).Select(r => r.Metadata.Name!)];

    /// <summary>The logical dates of the scheduled runs, oldest first, as "yyyy-MM-ddTHH:mmZ".</summary>
    public async Task<IReadOnlyList<string>> LogicalDatesAsync() =>
        [.. (await RunsAsync()).Select(r => r.Spec.LogicalDate).Order().Select(Iso)];

    /// <summary>What the DagRun controller would write when the run moves to <paramref name="phase"/>.</summary>
    public async Task SetRunPhaseAsync(string run, RunPhase phase)
    {
        var current = await Api.GetAsync(KubeKinds.DagRun, Ns, run);
        await Api.ReplaceStatusAsync(KubeKinds.DagRun, current with { Status = (current.Status ?? new DagRunStatus()) with { Phase = phase } });
    }

    /// <summary>Processes every queued Dag, including those their results queue again at once.</summary>
    public async Task RunDueAsync()
    {
        for (var passes = 0; ; passes++)
        {
            passes.Should().BeLessThan(MaxPassesPerStep, "the controller should settle instead of requeueing forever");
            await SettleAsync();
            if (Controller.Queue.Depth == 0)
            {
                return;
            }
            var key = await Controller.Queue.TakeAsync(TestWait.Token());
            try
            {
                await ProcessAsync(key);
            }
            finally
            {
                Controller.Queue.Done(key);
            }
        }
    }

    /// <summary>Moves the clock to <paramref name="at"/>, stopping at every queue timer on the way so each fires on time.</summary>
    public async Task AdvanceToAsync(DateTimeOffset at)
    {
        await RunDueAsync();
        while (NextDue() is { } due && due <= at)
        {
            Time.Advance(due - Now);
            await RunDueAsync();
        }
        Time.Advance(at - Now);
        await RunDueAsync();
    }

    public Task AdvanceAsync(TimeSpan by) => AdvanceToAsync(Now + by);

    /// <summary>One reconcile called directly, once the caches have caught up; its result is queued as a worker would.</summary>
    public async Task<ReconcileResult> ReconcileAsync(string dag)
    {
        await SettleAsync();
        return await ProcessAsync($"{Ns}/{dag}");
    }

    /// <summary>When the next queue timer fires; null when none is armed.</summary>
    public DateTimeOffset? NextDue() => Time.PendingDelays.Count == 0 ? null : Now + Time.PendingDelays.Min();

    private async Task<ReconcileResult> ProcessAsync(string key)
    {
        var result = await Controller.ReconcileAsync(key, TestWait.Token());
        Results.Add((key[(key.IndexOf('/') + 1)..], result));
        // What WorkQueue's workers do with a result.
        switch (result.Kind)
        {
            case RequeueKind.Done:
                Controller.Queue.Forget(key);
                break;
            case RequeueKind.After:
                Controller.Queue.Forget(key);
                Controller.Queue.AddAfter(key, result.Delay ?? TimeSpan.Zero);
                break;
            case RequeueKind.Now:
                Controller.Queue.Add(key);
                break;
            case RequeueKind.Backoff:
                Controller.Queue.AddRateLimited(key);
                break;
        }
        return result;
    }

    private async Task StartControllerAsync()
    {
        var cache = new OperatorCache(Api, [], resyncPeriod: null, Time, NullLoggerFactory.Instance);
        _metrics = new K8sFlowMetrics();
        _controller = new DagControllerUnderTest(Api, cache, Events, _metrics, Time, NullLogger<DagControllerUnderTest>.Instance, Options);
        _stop = new CancellationTokenSource();
        var token = _stop.Token;
        _informers = Task.Run(() => cache.RunAsync(token));
        await cache.WaitForSyncAsync(TestWait.Token());
    }

    /// <summary>Every informer watches and has handled every event so far.</summary>
    private Task SettleAsync() => Api.WaitForWatchersAsync(Informers);
}

/// <summary>Dags for the controller tests: one task, the scheduling fields as given.</summary>
internal static class TestDags
{
    public static Dag Scheduled(string name, string? schedule, string start = "2025-01-01T00:00:00Z", bool catchup = false,
        string? timetable = null, bool paused = false, int? maxActiveRuns = null) => new()
        {
            Metadata = new ObjectMeta { Name = name, Namespace = DagControllerHarness.Ns },
            Spec = new DagSpec
            {
                Schedule = schedule,
                StartDate = DagControllerHarness.At(start),
                Catchup = catchup,
                Timetable = timetable,
                Paused = paused,
                MaxActiveRuns = maxActiveRuns,
                Tasks = [new TaskSpec { Name = "work", Image = "busybox", Command = ["true"] }],
            },
        };
}
