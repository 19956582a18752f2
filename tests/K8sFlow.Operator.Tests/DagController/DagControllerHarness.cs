using System.Globalization;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.Controllers.Dags;
using Microsoft.Extensions.Logging.Abstractions;
// The folder (and so this namespace) is named after the class under test; an alias keeps the names apart.
using DagControllerUnderTest = K8sFlow.Operator.Controllers.DagController;

namespace K8sFlow.Operator.Tests.DagController;

/// <summary>
/// The Dag controller against <see cref="InMemoryKubeApi"/> with real informers, a fake clock and a
/// minimal work queue: informer events queue their Dag at once, results requeue it after their delay,
/// retries after <see cref="RetryBackoff"/>. Nothing sleeps: each step waits until the informers have
/// handled every event, then runs the reconciles due at the fake time.
/// </summary>
internal sealed class DagControllerHarness : IAsyncDisposable
{
    public const string Namespace = "default";

    /// <summary>A retried pass runs again after this (the real queue backs off exponentially; a fixed step keeps tests exact).</summary>
    public static readonly TimeSpan RetryBackoff = TimeSpan.FromSeconds(1);

    private const int MaxPassesPerStep = 1000;

    private readonly Lock _queueLock = new();
    private readonly Dictionary<string, DateTimeOffset> _queue = new(StringComparer.Ordinal);
    private DagControllerUnderTest? _controller;
    private CancellationTokenSource? _stop;
    private Task? _informers;

    private DagControllerHarness(DateTimeOffset now, DagControllerOptions options)
    {
        Time = new ManualTimeProvider(now);
        Api = new InMemoryKubeApi(Time);
        Options = options;
    }

    public ManualTimeProvider Time { get; }
    public InMemoryKubeApi Api { get; }
    public RecordingEventRecorder Events { get; } = new();
    public DagControllerOptions Options { get; }

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
        _controller = null;
        lock (_queueLock)
        {
            _queue.Clear();
        }
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
        var current = await Api.TryGetAsync(KubeKinds.Dag, Namespace, dag.Metadata.Name!);
        if (current is null)
        {
            await Api.CreateAsync(KubeKinds.Dag, dag with { Metadata = dag.Metadata with { Namespace = Namespace } });
        }
        else
        {
            await Api.ReplaceAsync(KubeKinds.Dag, current with { Spec = dag.Spec });
        }
    }

    public async Task EditAsync(string dag, Func<DagSpec, DagSpec> edit)
    {
        var current = await Api.GetAsync(KubeKinds.Dag, Namespace, dag);
        await Api.ReplaceAsync(KubeKinds.Dag, current with { Spec = edit(current.Spec) });
    }

    public Task<Dag> DagAsync(string name) => Api.GetAsync(KubeKinds.Dag, Namespace, name);

    public async Task<DagStatus> StatusAsync(string dag) => (await DagAsync(dag)).Status ?? new DagStatus();

    /// <summary>All DagRuns, by name.</summary>
    public async Task<IReadOnlyList<DagRun>> RunsAsync() =>
        [.. (await Api.ListAsync(KubeKinds.DagRun, Namespace)).Items.OrderBy(r => r.Metadata.Name, StringComparer.Ordinal)];

    public async Task<IReadOnlyList<string>> RunNamesAsync() => [.. (await RunsAsync()).Select(r => r.Metadata.Name!)];

    /// <summary>The logical dates of the scheduled runs, oldest first, as "yyyy-MM-ddTHH:mmZ".</summary>
    public async Task<IReadOnlyList<string>> LogicalDatesAsync() =>
        [.. (await RunsAsync()).Select(r => r.Spec.LogicalDate).Order().Select(Iso)];

    /// <summary>What the DagRun controller would write when the run moves to <paramref name="phase"/>.</summary>
    public async Task SetRunPhaseAsync(string run, RunPhase phase)
    {
        var current = await Api.GetAsync(KubeKinds.DagRun, Namespace, run);
        await Api.ReplaceStatusAsync(KubeKinds.DagRun, current with { Status = (current.Status ?? new DagRunStatus()) with { Phase = phase } });
    }

    /// <summary>Runs every reconcile due at the current fake time, including those their results requeue at once.</summary>
    public async Task RunDueAsync()
    {
        for (var passes = 0; ; passes++)
        {
            passes.Should().BeLessThan(MaxPassesPerStep, "the controller should settle instead of requeueing forever");
            await SettleAsync();
            var dag = TakeDue();
            if (dag is null)
            {
                return;
            }
            await ReconcileAsync(dag);
        }
    }

    /// <summary>Moves the clock to <paramref name="at"/>, stopping at every requeue on the way (as a queue's delayed add fires).</summary>
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

    /// <summary>One reconcile called directly, once the caches have caught up; its result is queued like the loop's.</summary>
    public async Task<ReconcileResult> ReconcileAsync(string dag)
    {
        await SettleAsync();
        var result = await _controller!.ReconcileAsync(Namespace, dag, TestWait.Token());
        Results.Add((dag, result));
        if (result.IsRetry)
        {
            Enqueue(dag, Now + RetryBackoff);
        }
        else if (result.Delay is { } delay)
        {
            Enqueue(dag, Now + delay);
        }
        return result;
    }

    /// <summary>When the queue will next run a reconcile; null when it is empty.</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_queueLock)
        {
            return _queue.Count == 0 ? null : _queue.Values.Min();
        }
    }

    private async Task StartControllerAsync()
    {
        var dags = new Informer<Dag>(Api, KubeKinds.Dag, new InformerOptions { Namespace = Namespace }, Time);
        var runs = new Informer<DagRun>(Api, KubeKinds.DagRun, new InformerOptions { Namespace = Namespace }, Time);
        _controller = new DagControllerUnderTest(Api, dags, runs, Events, Time, NullLogger<DagControllerUnderTest>.Instance, Options);
        _controller.AddEventHandlers((_, name) => Enqueue(name, Now));
        _stop = new CancellationTokenSource();
        var token = _stop.Token;
        _informers = Task.WhenAll(Task.Run(() => dags.RunAsync(token)), Task.Run(() => runs.RunAsync(token)));
        await dags.WaitForSyncAsync(TestWait.Token());
        await runs.WaitForSyncAsync(TestWait.Token());
    }

    /// <summary>Both informers watch and have handled every event so far.</summary>
    private Task SettleAsync() => Api.WaitForWatchersAsync(2);

    private void Enqueue(string dag, DateTimeOffset due)
    {
        lock (_queueLock)
        {
            _queue[dag] = _queue.TryGetValue(dag, out var queued) && queued < due ? queued : due;
        }
    }

    private string? TakeDue()
    {
        lock (_queueLock)
        {
            var now = Now;
            var due = _queue.Where(e => e.Value <= now).OrderBy(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).FirstOrDefault();
            if (due.Key is null)
            {
                return null;
            }
            _queue.Remove(due.Key);
            return due.Key;
        }
    }
}

/// <summary>Dags for the controller tests: one task, the scheduling fields as given.</summary>
internal static class TestDags
{
    public static Dag Scheduled(string name, string? schedule, string start = "2025-01-01T00:00:00Z", bool catchup = false,
        string? timetable = null, bool paused = false, int? maxActiveRuns = null) => new()
        {
            Metadata = new ObjectMeta { Name = name, Namespace = DagControllerHarness.Namespace },
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
