using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers.Dags;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Observability;
using K8sFlow.Operator.Queue;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Controllers;

/// <summary>
/// Validates Dags and creates their scheduled DagRuns. Every scheduling rule lives in Core's
/// <see cref="Timetable"/>; this controller feeds it (the newest scheduled logical date, the clock) and
/// executes the answer:
/// <list type="number">
/// <item>An invalid Dag (Core's <see cref="Core.Validation.DagValidator"/>) gets Ready=False/Invalid with
/// the findings, one Warning event per generation, and no runs.</item>
/// <item>A valid Dag gets Ready=True. Unless paused, the runs due now are created, oldest first, at most
/// <see cref="DagControllerOptions.MaxRunsPerPass"/> per pass, each with a deterministic name so a pass
/// repeated after a crash, a restart or a lost status write finds AlreadyExists instead of a duplicate.
/// @continuous creates a run only while none of the Dag's runs is active.</item>
/// <item>One status write (PUT /status with the resourceVersion read; 409 reconciles again), only when the
/// status changed: Ready, lastScheduledLogicalDate, lastRunTime, nextRunTime, nextRuns, message.</item>
/// <item>Requeue when the next run is due (at once while catch-up is capped).</item>
/// </list>
/// maxActiveRuns is not enforced here: the DagRun controller keeps surplus runs Queued.
/// </summary>
public sealed class DagController : IOperatorController, IDisposable
{
    private const string ControllerName = "dag";

    private readonly IKubeClient _client;
    private readonly OperatorCache _cache;
    private readonly IEventRecorder _events;
    private readonly K8sFlowMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<DagController> _logger;
    private readonly DagControllerOptions _options;
    private readonly RunsInFlight _inFlight;
    private readonly IDisposable _queueDepth;

    public DagController(OperatorContext context)
        : this(context.Client, context.Cache, context.Events, context.Metrics, context.Time,
            context.Loggers.CreateLogger<DagController>(),
            new DagControllerOptions { MaxRunsPerPass = context.Options.MaxCatchupRunsPerPass })
    {
    }

    /// <summary>Registers informer handlers on <paramref name="cache"/>: construct it before the informers run.</summary>
    public DagController(IKubeClient client, OperatorCache cache, IEventRecorder events, K8sFlowMetrics metrics, TimeProvider timeProvider,
        ILogger<DagController> logger, DagControllerOptions? options = null)
    {
        _options = options ?? new DagControllerOptions();
        _options.Validate();
        _client = client;
        _cache = cache;
        _events = events;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        _inFlight = new RunsInFlight(timeProvider, _options.UnseenRunTimeout);
        Queue = new WorkQueue<string>(_options.Queue, timeProvider);
        _queueDepth = metrics.ObserveWorkQueueDepth(ControllerName, () => Queue.Depth);

        cache.Dags.AddHandler(new InformerHandler<Dag>(
            OnAdd: dag => Queue.Add(OperatorCache.KeyOf(dag)),
            OnUpdate: (old, updated) =>
            {
                // The same object is a resync; a status-only change is this controller's own write.
                if (ReferenceEquals(old, updated) || old.Metadata.Generation != updated.Metadata.Generation)
                {
                    Queue.Add(OperatorCache.KeyOf(updated));
                }
            }));
        // A run appearing, finishing or going away can change what the Dag schedules next (@continuous waits for it).
        cache.DagRuns.AddHandler(new InformerHandler<DagRun>(
            OnAdd: EnqueueDagOf,
            OnUpdate: (old, updated) =>
            {
                if (DagRunsOfDag.IsActive(old) != DagRunsOfDag.IsActive(updated))
                {
                    EnqueueDagOf(updated);
                }
            },
            OnDelete: EnqueueDagOf));
    }

    /// <summary>Keys are "namespace/name" of Dags.</summary>
    public WorkQueue<string> Queue { get; }

    /// <summary>Processes the queue until cancelled (only the leader calls this), starting with every cached Dag.</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var dag in _cache.Dags.List())
        {
            Queue.Add(OperatorCache.KeyOf(dag));
        }
        return Queue.RunWorkersAsync(_options.Workers, ReconcileAsync, _logger, cancellationToken);
    }

    /// <summary>One pass over the Dag <paramref name="key"/> ("namespace/name"), read from the informer cache.</summary>
    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        using var scope = _logger.BeginScope(new Dictionary<string, object?> { ["namespace"] = ns, ["dag"] = name });
        var started = _time.GetTimestamp();
        try
        {
            var dag = _cache.Dags.Get(ns, name);
            if (dag is null || dag.Metadata.DeletionTimestamp is not null)
            {
                // Its runs stay: they are not owned by the Dag (see ScheduledRuns).
                _inFlight.Forget(key);
                return ReconcileResult.Done;
            }
            var check = DagCheck.Of(dag);
            var now = _time.GetUtcNow();
            return check.IsValid
                ? await ScheduleAsync(dag, key, check.Timetable, check.WarningSummary, now, cancellationToken).ConfigureAwait(false)
                : await MarkInvalidAsync(dag, check, now, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _metrics.RecordReconcile(ControllerName, _time.GetElapsedTime(started));
        }
    }

    private void EnqueueDagOf(DagRun run)
    {
        if (!string.IsNullOrEmpty(run.Spec.DagName))
        {
            Queue.Add(Informer<Dag>.KeyOf(run.Metadata.Namespace, run.Spec.DagName));
        }
    }

    private async Task<ReconcileResult> MarkInvalidAsync(Dag dag, DagCheck check, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var summary = check.ErrorSummary;
        var warn = !DagStatuses.IsMarkedInvalid(dag);
        var status = (dag.Status ?? new DagStatus()) with
        {
            ObservedGeneration = dag.Metadata.Generation,
            Conditions = DagStatuses.WithReady(dag.Status, ready: false, DagStatuses.InvalidReason, summary, dag.Metadata.Generation, now),
            NextRunTime = null,
            NextRuns = null,
            Message = "no runs are created while the Dag is invalid (see the Ready condition)",
        };
        if (await WriteStatusAsync(dag, status, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }
        if (warn)
        {
            // After the status write, so a retried pass does not warn twice for one generation.
            _logger.LogWarning("Dag {Namespace}/{Dag} is invalid: {Summary}", dag.Metadata.Namespace, dag.Metadata.Name, summary);
            await _events.RecordAsync(dag, EventTypes.Warning, DagStatuses.InvalidReason, summary, "Validate", cancellationToken)
                .ConfigureAwait(false);
        }
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> ScheduleAsync(Dag dag, string key, Timetable timetable, string? warnings, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var known = DagRunsOfDag.Of(KnownRuns(dag, key));
        // The newest of both: a lost status write must not make an existing run look missing.
        var lastLogicalDate = DagRunsOfDag.Max(dag.Status?.LastScheduledLogicalDate, known.NewestScheduledLogicalDate);
        var pass = SchedulingPass.Plan(dag.Spec, timetable, lastLogicalDate, known.ActiveRun, now, _options);
        var created = await CreateRunsAsync(dag, key, pass.Runs, cancellationToken).ConfigureAwait(false);

        var status = (dag.Status ?? new DagStatus()) with
        {
            ObservedGeneration = dag.Metadata.Generation,
            Conditions = DagStatuses.WithReady(dag.Status, ready: true, DagStatuses.ValidReason,
                warnings ?? "the Dag is valid", dag.Metadata.Generation, now),
            LastScheduledLogicalDate = DagRunsOfDag.Max(lastLogicalDate, created.NewestLogicalDate),
            LastRunTime = DagRunsOfDag.Max(dag.Status?.LastRunTime, DagRunsOfDag.Max(known.NewestCreation, created.NewestCreation)),
            NextRunTime = pass.NextRunTime,
            NextRuns = pass.Upcoming.Count == 0 ? null : [.. pass.Upcoming.Select(DagStatuses.NextRunEntry)],
            Message = created.Failure ?? pass.Message,
        };
        var failedWrite = await WriteStatusAsync(dag, status, cancellationToken).ConfigureAwait(false);
        if (created.Failure is { } failure)
        {
            return ReconcileResult.Backoff(failure);
        }
        if (failedWrite is not null)
        {
            return failedWrite;
        }
        if (pass.Capped)
        {
            return ReconcileResult.Now($"catch-up capped at {_options.MaxRunsPerPass} runs per pass");
        }
        return ReconcileResult.After(pass.NextRunTime is { } next ? Positive(next - now) : null);
    }

    private static TimeSpan Positive(TimeSpan delay) => delay > TimeSpan.Zero ? delay : TimeSpan.Zero;

    /// <summary>The Dag's runs in the cache plus those created but not yet seen there.</summary>
    private IEnumerable<DagRun> KnownRuns(Dag dag, string dagKey)
    {
        var cached = _cache.RunsOf(dag.Metadata.Namespace!, dag.Metadata.Name!);
        var names = cached.Select(r => r.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        return cached.Concat(_inFlight.Unseen(dagKey, names.Contains));
    }

    /// <summary>What a pass's creates achieved: the newest run that exists now, and the first failure.</summary>
    private sealed record CreatedRuns(DateTimeOffset? NewestLogicalDate, DateTimeOffset? NewestCreation, string? Failure);

    /// <summary>Creates <paramref name="planned"/> oldest first, stopping at the first failure (the rest follow on retry).</summary>
    private async Task<CreatedRuns> CreateRunsAsync(Dag dag, string dagKey, IReadOnlyList<PlannedRun> planned, CancellationToken cancellationToken)
    {
        DateTimeOffset? newestLogicalDate = null;
        DateTimeOffset? newestCreation = null;
        foreach (var run in planned)
        {
            var dagRun = ScheduledRuns.ToDagRun(dag, run);
            try
            {
                var created = await _client.CreateAsync(KubeKinds.DagRun, dagRun, cancellationToken: cancellationToken).ConfigureAwait(false);
                _inFlight.Add(dagKey, created);
                newestCreation = DagRunsOfDag.Max(newestCreation, created.Metadata.CreationTimestamp ?? _time.GetUtcNow());
                _logger.LogInformation("Created DagRun {DagRun} ({RunId})", created.Metadata.Name, run.RunId);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                // The name is the lock: an earlier pass (or instance) created it.
                _logger.LogDebug("DagRun {DagRun} already exists", dagRun.Metadata.Name);
            }
            catch (KubeApiException e)
            {
                _logger.LogWarning("Creating DagRun {DagRun} failed: {Error}", dagRun.Metadata.Name, e.Message);
                return new CreatedRuns(newestLogicalDate, newestCreation,
                    $"creating DagRun {dagRun.Metadata.Name} failed ({e.Code} {e.Reason}: {e.ServerMessage}); retrying");
            }
            newestLogicalDate = run.LogicalDate;
        }
        return new CreatedRuns(newestLogicalDate, newestCreation, null);
    }

    /// <summary>PUT /status with the resourceVersion read, only when the status changed; null when written (or nothing to write).</summary>
    private async Task<ReconcileResult?> WriteStatusAsync(Dag dag, DagStatus status, CancellationToken cancellationToken)
    {
        if (DagStatuses.Same(dag.Status, status))
        {
            return null;
        }
        try
        {
            // A new record around the cached metadata and spec: the cached object itself is not modified.
            await _client.ReplaceStatusAsync(KubeKinds.Dag, dag with { Status = status }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return null;
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            return ReconcileResult.Now("status write conflict: the cache is behind");
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return ReconcileResult.Done;
        }
        catch (KubeApiException e)
        {
            return ReconcileResult.Backoff($"writing the status of Dag {dag.Metadata.Namespace}/{dag.Metadata.Name} failed: {e.Message}");
        }
    }

    public void Dispose()
    {
        _queueDepth.Dispose();
        Queue.Dispose();
    }
}
