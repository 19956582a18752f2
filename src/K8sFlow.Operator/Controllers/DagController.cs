using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers.Dags;
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
/// repeated after a crash, a restart or a lost status write finds AlreadyExists instead of a
/// duplicate. @continuous creates a run only while none of the Dag's runs is active.</item>
/// <item>One status write (PUT /status with the resourceVersion read; 409 retries), only when the status
/// changed: Ready, lastScheduledLogicalDate, lastRunTime, nextRunTime, nextRuns, message.</item>
/// <item>Requeue when the next run is due (at once while catch-up is capped).</item>
/// </list>
/// maxActiveRuns is not enforced here: the DagRun controller keeps surplus runs Queued.
/// </summary>
public sealed class DagController
{
    private const string RunsByDagIndex = "dag-controller/runs-by-dag";

    private readonly IKubeClient _client;
    private readonly Informer<Dag> _dags;
    private readonly Informer<DagRun> _runs;
    private readonly IEventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ILogger<DagController> _logger;
    private readonly DagControllerOptions _options;
    private readonly RunsInFlight _inFlight;

    /// <summary>
    /// Registers an index on <paramref name="runs"/>: construct the controller before that informer runs.
    /// </summary>
    public DagController(IKubeClient client, Informer<Dag> dags, Informer<DagRun> runs, IEventRecorder events,
        TimeProvider time, ILogger<DagController> logger, DagControllerOptions? options = null)
    {
        _options = options ?? new DagControllerOptions();
        _options.Validate();
        _client = client;
        _dags = dags;
        _runs = runs;
        _events = events;
        _time = time;
        _logger = logger;
        _inFlight = new RunsInFlight(time, _options.UnseenRunTimeout);
        runs.AddIndex(RunsByDagIndex, DagRunsOfDag.IndexKeys);
    }

    /// <summary>
    /// Wires the informers to a work queue: <paramref name="enqueue"/>(namespace, dag name) runs when a Dag
    /// is added, its spec changes (a new generation) or the informer resyncs, and when a DagRun of it
    /// appears, finishes or goes away (@continuous waits for that). The controller's own status writes
    /// do not requeue the Dag. Call before the informers run.
    /// </summary>
    public void AddEventHandlers(Action<string, string> enqueue)
    {
        void EnqueueDag(Dag dag) => enqueue(dag.Metadata.Namespace ?? "", dag.Metadata.Name ?? "");
        void EnqueueDagOf(DagRun run)
        {
            if (!string.IsNullOrEmpty(run.Spec.DagName))
            {
                enqueue(run.Metadata.Namespace ?? "", run.Spec.DagName);
            }
        }

        _dags.AddHandler(new InformerHandler<Dag>(
            OnAdd: EnqueueDag,
            OnUpdate: (old, updated) =>
            {
                // Same object: a resync. A status-only change is this controller's own write.
                if (ReferenceEquals(old, updated) || old.Metadata.Generation != updated.Metadata.Generation)
                {
                    EnqueueDag(updated);
                }
            }));
        _runs.AddHandler(new InformerHandler<DagRun>(
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

    /// <summary>One pass over the Dag <paramref name="namespace"/>/<paramref name="name"/>, read from the informer cache.</summary>
    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var key = Informer<Dag>.KeyOf(@namespace, name);
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["Namespace"] = @namespace, ["Dag"] = name });
        var dag = _dags.Get(@namespace, name);
        if (dag is null || dag.Metadata.DeletionTimestamp is not null)
        {
            // Its runs stay: they are not owned by the Dag (see ScheduledRuns).
            _inFlight.Forget(key);
            return ReconcileResult.Done;
        }
        var now = _time.GetUtcNow();
        var check = DagCheck.Of(dag);
        return check.IsValid
            ? await ScheduleAsync(dag, key, check.Timetable, check.WarningSummary, now, cancellationToken).ConfigureAwait(false)
            : await MarkInvalidAsync(dag, check, now, cancellationToken).ConfigureAwait(false);
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
        var written = await WriteStatusAsync(dag, status, cancellationToken).ConfigureAwait(false);
        if (written.IsRetry)
        {
            return written;
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
        var known = DagRunsOfDag.Of(KnownRuns(key));
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
        var written = await WriteStatusAsync(dag, status, cancellationToken).ConfigureAwait(false);
        if (created.Failure is { } failure)
        {
            return ReconcileResult.Retry(failure);
        }
        if (written.IsRetry)
        {
            return written;
        }
        if (pass.Capped)
        {
            return ReconcileResult.RequeueAfter(TimeSpan.Zero);
        }
        return pass.NextRunTime is { } next ? ReconcileResult.RequeueAfter(next - now) : ReconcileResult.Done;
    }

    /// <summary>The Dag's runs in the cache plus those created but not yet seen there.</summary>
    private IEnumerable<DagRun> KnownRuns(string dagKey)
    {
        var cached = _runs.ListByIndex(RunsByDagIndex, dagKey);
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

    /// <summary>PUT /status with the resourceVersion read, only when the status changed.</summary>
    private async Task<ReconcileResult> WriteStatusAsync(Dag dag, DagStatus status, CancellationToken cancellationToken)
    {
        if (DagStatuses.Same(dag.Status, status))
        {
            return ReconcileResult.Done;
        }
        try
        {
            // A new record around the cached metadata and spec: the cached object itself is not modified.
            await _client.ReplaceStatusAsync(KubeKinds.Dag, dag with { Status = status }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return ReconcileResult.Done;
        }
        catch (KubeApiException e)
        {
            var reason = e.IsConflict
                ? $"the status of Dag {dag.Metadata.Namespace}/{dag.Metadata.Name} changed since it was read (409 Conflict)"
                : $"writing the status of Dag {dag.Metadata.Namespace}/{dag.Metadata.Name} failed: {e.Message}";
            _logger.LogInformation("{Reason}; retrying", reason);
            return ReconcileResult.Retry(reason);
        }
    }
}
