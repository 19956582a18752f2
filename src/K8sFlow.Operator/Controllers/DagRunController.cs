using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Params;
using K8sFlow.Core.Planning;
using K8sFlow.Core.Scheduling;
using K8sFlow.Core.Validation;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Jobs;
using K8sFlow.Operator.Observability;
using K8sFlow.Operator.Queue;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Controllers;

/// <summary>Reasons of the run's Succeeded condition when the operator refuses a run before it starts.</summary>
public static class RunRefusals
{
    public const string DagNotFound = "DagNotFound";
    public const string InvalidDag = "InvalidDag";
    public const string InvalidParams = "InvalidParams";
}

/// <summary>Reasons of the Kubernetes Events recorded on DagRuns.</summary>
public static class DagRunEventReasons
{
    public const string Started = "RunStarted";
    public const string Succeeded = "RunSucceeded";
    public const string Failed = "RunFailed";
    public const string TaskRetrying = "TaskRetrying";
    public const string TaskFailed = "TaskFailed";
}

/// <summary>
/// Runs DagRuns: each reconcile takes a snapshot from the informer caches (the run, its pinned Dag spec, its Jobs
/// and pods), asks <see cref="RunPlanner.Plan"/> what to do, creates and deletes Jobs, then writes the status once
/// (409 Conflict: reconcile again at once). Job and pod events reconcile their run.
/// </summary>
/// <remarks>
/// Deleting a DagRun needs no finalizer: its Jobs (and their pods) and its workspace claim carry a controller
/// owner reference to it, and Kubernetes' garbage collector deletes them.
/// </remarks>
public sealed class DagRunController : IOperatorController, IDisposable
{
    private const string ControllerName = "dagrun";
    private const int MaxApplyRounds = 32;
    private const int MaxConcurrentApiCalls = 16;

    private readonly IKubeClient _client;
    private readonly OperatorCache _cache;
    private readonly IEventRecorder _events;
    private readonly K8sFlowMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RunAdmission _admission;
    private readonly PinnedSpecs _pinnedSpecs = new();
    /// <summary>Finished attempts by Job object: an entry goes when the informer drops or replaces its Job.</summary>
    private readonly ConditionalWeakTable<Job, FinishedAttempt> _finished = [];
    /// <summary>
    /// Per run key: the run as this operator last wrote it and the resourceVersion that write replaced. Until the
    /// informer delivers the write, a reconcile plans from it instead of the stale cached copy (which would only
    /// end in a 409 Conflict and another round).
    /// </summary>
    private readonly ConcurrentDictionary<string, (string? Replaced, DagRun Written)> _ownWrites = new(StringComparer.Ordinal);
    /// <summary>Bounds the Job creates and deletes in flight across all workers (each worker's plan may hold thousands).</summary>
    private readonly SemaphoreSlim _apiCalls = new(MaxConcurrentApiCalls);
    private readonly int _workers;
    private readonly HashSet<string> _workspaces = new(StringComparer.Ordinal); // run uids whose claim exists
    private readonly IDisposable _queueDepth;

    public DagRunController(IKubeClient client, OperatorCache cache, IEventRecorder events, K8sFlowMetrics metrics, TimeProvider timeProvider,
        ILogger<DagRunController> logger, int workers = 4, WorkQueueOptions? queueOptions = null)
    {
        _client = client;
        _cache = cache;
        _events = events;
        _metrics = metrics;
        _time = timeProvider;
        _logger = logger;
        _workers = workers;
        _admission = new RunAdmission(cache);
        Queue = new WorkQueue<string>(queueOptions, timeProvider);
        _queueDepth = metrics.ObserveWorkQueueDepth(ControllerName, () => Queue.Depth);

        cache.DagRuns.AddHandler(new InformerHandler<DagRun>(
            OnAdd: run => Queue.Add(OperatorCache.KeyOf(run)),
            OnUpdate: OnRunUpdated,
            OnDelete: OnRunDeleted));
        cache.Dags.AddHandler(new InformerHandler<Dag>(
            OnAdd: EnqueueQueuedRuns,
            OnUpdate: (_, dag) => EnqueueQueuedRuns(dag),
            OnDelete: EnqueueQueuedRuns));
        cache.Jobs.AddHandler(new InformerHandler<Job>(EnqueueOwner, (_, job) => EnqueueOwner(job), EnqueueOwner));
        cache.Pods.AddHandler(new InformerHandler<Pod>(EnqueueOwner, (_, pod) => EnqueueOwner(pod), EnqueueOwner));
    }

    public DagRunController(OperatorContext context)
        : this(context.Client, context.Cache, context.Events, context.Metrics, context.Time,
            context.Loggers.CreateLogger<DagRunController>(), context.Options.Workers)
    {
    }

    /// <summary>Keys are "namespace/name" of DagRuns.</summary>
    public WorkQueue<string> Queue { get; }

    /// <summary>Processes the queue with the configured workers until cancelled (only the leader calls this).</summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        // Events seen while standing by are queued already; a resumed leader also looks at every run once.
        foreach (var run in _cache.DagRuns.List())
        {
            Queue.Add(OperatorCache.KeyOf(run));
        }
        return Queue.RunWorkersAsync(_workers, ReconcileAsync, _logger, cancellationToken);
    }

    /// <summary>One reconcile of the run <paramref name="key"/> ("namespace/name").</summary>
    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var cached = Freshest(key, _cache.DagRuns.Get(ns, name));
        if (cached is null || cached.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done; // its Jobs go with it (owner references)
        }
        using var scope = _logger.BeginScope(new Dictionary<string, object?> { ["namespace"] = ns, ["dagRun"] = name });
        var started = _time.GetTimestamp();
        try
        {
            // Never change what the informer handed out: the reconcile works on its own copy.
            return await ReconcileRunAsync(KubeJson.DeepClone(cached), cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            return ReconcileResult.Backoff(e.Message);
        }
        finally
        {
            _metrics.RecordReconcile(ControllerName, _time.GetElapsedTime(started));
        }
    }

    /// <summary>The cached run, or this operator's own newer write of it while the informer has not caught up.</summary>
    private DagRun? Freshest(string key, DagRun? cached)
    {
        if (cached is null || !_ownWrites.TryGetValue(key, out var own))
        {
            return cached;
        }
        if (cached.Metadata.ResourceVersion == own.Replaced)
        {
            return own.Written;
        }
        _ownWrites.TryRemove(KeyValuePair.Create(key, own)); // caught up, or someone wrote since
        return cached;
    }

    private async Task<ReconcileResult> ReconcileRunAsync(DagRun run, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var prior = run.Status;
        var status = prior ?? new DagRunStatus();
        DagSpec spec;
        if (status.DagSpecConfigMap is null)
        {
            if (status.Phase is RunPhase.Succeeded or RunPhase.Failed)
            {
                return ReconcileResult.Done; // refused before it started
            }
            var pin = await PinAsync(run, status, now, cancellationToken).ConfigureAwait(false);
            if (pin.Refusal is { } refusal)
            {
                return await WriteStatusAsync(run, refusal, (prior, refusal), cancellationToken).ConfigureAwait(false) ?? ReconcileResult.Done;
            }
            if (pin.Status is null)
            {
                return ReconcileResult.Backoff(pin.Retry ?? "pinning the Dag spec failed");
            }
            (status, spec) = (pin.Status, pin.Spec!);
        }
        else
        {
            var pinned = await _pinnedSpecs.GetAsync(_client, run, cancellationToken).ConfigureAwait(false);
            if (pinned.Spec is null)
            {
                return status.Phase is RunPhase.Succeeded or RunPhase.Failed
                    ? ReconcileResult.Done
                    : await WriteStatusAsync(run, Failure(run, status, now, RunConditions.Reasons.InvalidSpec, pinned.Error!), (prior, null), cancellationToken)
                        .ConfigureAwait(false) ?? ReconcileResult.Done;
            }
            spec = pinned.Spec;
        }
        // The planner and the reports see every task's record; only the written status is compact.
        status = TaskRecords.Expand(status, spec, run.Metadata.Name!);
        var before = prior is null ? null : TaskRecords.Expand(prior, spec, run.Metadata.Name!);

        if (run.Spec.Clear is { } clear)
        {
            // Core applies each request once (status records it); the write below carries the cleared tasks.
            status = RunClearing.Apply(status, clear);
        }
        var dag = _cache.Dags.Get(run.Metadata.Namespace, run.Spec.DagName);
        var admission = status.Phase is null or RunPhase.Queued ? _admission.Decide(run, spec, dag, now) : Admission.Start;
        var (executions, awaitingPods) = Observe(run, now);
        var input = new PlanInput
        {
            DagName = run.Spec.DagName,
            RunName = run.Metadata.Name!,
            Spec = spec,
            Status = status,
            Executions = executions,
            Now = now,
            MayStart = admission.MayStart,
            QueuedReason = admission.Reason,
            CancelRequested = run.Spec.Cancel == true,
            LogicalDate = status.LogicalDate,
        };
        var plan = await ApplyAsync(run, input, cancellationToken).ConfigureAwait(false);
        if (plan is null)
        {
            return ReconcileResult.Backoff("applying the plan failed");
        }
        var planned = plan.Status with { ObservedGeneration = run.Metadata.Generation };
        var next = TaskRecords.Compact(planned, spec, keepCompact: prior?.CompactTasks is not null);
        var result = await WriteStatusAsync(run, next, (before, planned), cancellationToken).ConfigureAwait(false);
        if (next.Phase is RunPhase.Succeeded or RunPhase.Failed)
        {
            _pinnedSpecs.Forget(run); // a finished run rarely reconciles again: read the spec back if it does
        }
        return result ?? ReconcileResult.After(Earliest(Earliest(plan.RequeueAfter, admission.RecheckAfter), awaitingPods ? ExecutionObserver.PodGrace : null));
    }

    // ---- pinning --------------------------------------------------------------------------------------

    /// <summary>What pinning found: the run's first status and its spec, a refusal to write, or an API error to retry on.</summary>
    private sealed record Pin(DagRunStatus? Status, DagSpec? Spec, DagRunStatus? Refusal, string? Retry = null);

    /// <summary>A ConfigMap's data is at most 1 MiB; leave room for its metadata.</summary>
    private const int MaxPinnedSpecBytes = 1_000_000;

    /// <summary>
    /// First sight of a run: copy the Dag's spec into the run's pinned-spec ConfigMap (the run plans only from it from
    /// now on), resolve its params and dates; or refuse the run with a condition naming what is wrong.
    /// </summary>
    private async Task<Pin> PinAsync(DagRun run, DagRunStatus status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ns = run.Metadata.Namespace!;
        var dagName = run.Spec.DagName;
        // A run created right after its Dag may arrive before the Dag's watch event: ask the API before refusing.
        var dag = _cache.Dags.Get(ns, dagName)
            ?? await _client.TryGetAsync(KubeKinds.Dag, ns, dagName, cancellationToken).ConfigureAwait(false);
        if (dag is null)
        {
            return Refuse(RunRefusals.DagNotFound, $"Dag {dagName} not found in namespace {ns}");
        }
        var errors = DagValidator.Validate(dag).Where(d => d.IsError).Select(d => d.ToString()).ToList();
        if (errors.Count > 0)
        {
            return Refuse(RunRefusals.InvalidDag, $"Dag {dagName} is invalid: {string.Join("; ", errors.Take(5))}{(errors.Count > 5 ? $" and {errors.Count - 5} more" : "")}");
        }
        var @params = ParamResolver.Resolve(dag.Spec.Params, run.Spec.Params);
        if (!@params.Succeeded)
        {
            return Refuse(RunRefusals.InvalidParams, string.Join("; ", @params.Errors.Select(e => e.ToString())));
        }
        var stored = await StorePinnedSpecAsync(run, dag, cancellationToken).ConfigureAwait(false);
        if (stored.Spec is null)
        {
            return stored.Error is { } tooLarge ? Refuse(RunRefusals.InvalidDag, tooLarge) : new Pin(null, null, null, stored.Retry);
        }

        var runType = run.Spec.RunType ?? Names.RunTypes.Manual;
        var created = run.Metadata.CreationTimestamp ?? now;
        var logicalDate = run.Spec.LogicalDate;
        var intervalStart = run.Spec.DataIntervalStart;
        var intervalEnd = run.Spec.DataIntervalEnd;
        if (logicalDate is null && runType != Names.RunTypes.AssetTriggered)
        {
            // A run that does not say gets what a manual trigger at its creation time gets (spec §1.2).
            var timetable = Timetable.Create(dag.Spec);
            var manual = timetable.IsValid ? timetable.Timetable.Manual(created) : null;
            logicalDate = manual?.LogicalDate ?? created;
            intervalStart ??= manual?.DataIntervalStart;
            intervalEnd ??= manual?.DataIntervalEnd;
        }
        intervalStart ??= logicalDate;
        intervalEnd ??= intervalStart;
        return new Pin(status with
        {
            Phase = status.Phase ?? RunPhase.Queued,
            DagSpecConfigMap = JobFactory.PinnedSpecName(run.Metadata.Name!),
            DagGeneration = dag.Metadata.Generation,
            RunId = status.RunId ?? Names.RunId(runType, logicalDate ?? created),
            LogicalDate = logicalDate,
            DataIntervalStart = intervalStart,
            DataIntervalEnd = intervalEnd,
            RunAfter = run.Spec.RunAfter,
            Params = new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(@params.Values, StringComparer.Ordinal),
        }, stored.Spec, null);

        Pin Refuse(string reason, string message) => new(null, null, Failure(run, status, now, reason, message));
    }

    private sealed record StoredSpec(DagSpec? Spec, string? Error = null, string? Retry = null);

    /// <summary>
    /// Creates the run's pinned-spec ConfigMap. One this run created already (its status write was lost) is the
    /// pin: the Dag may have changed since.
    /// </summary>
    private async Task<StoredSpec> StorePinnedSpecAsync(DagRun run, Dag dag, CancellationToken cancellationToken)
    {
        var configMap = PinnedSpecs.Build(run, dag.Spec);
        var size = System.Text.Encoding.UTF8.GetByteCount(configMap.Data![PinnedSpecs.Key]);
        if (size > MaxPinnedSpecBytes)
        {
            return new StoredSpec(null, Error: $"Dag {dag.Metadata.Name}: its spec is {size} bytes as JSON; a run pins it in a ConfigMap, which holds at most {MaxPinnedSpecBytes} bytes");
        }
        try
        {
            await _client.CreateAsync(KubeKinds.ConfigMap, configMap, cancellationToken: cancellationToken).ConfigureAwait(false);
            _pinnedSpecs.Remember(run, dag.Spec);
            return new StoredSpec(dag.Spec);
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            var existing = await _client.TryGetAsync(KubeKinds.ConfigMap, run.Metadata.Namespace, configMap.Metadata.Name!, cancellationToken)
                .ConfigureAwait(false);
            if (existing is null || !PinnedSpecs.IsOwnedBy(existing, run))
            {
                // Gone meanwhile, or left by a deleted run of the same name and on its way out: try again.
                return new StoredSpec(null, Retry: $"ConfigMap {configMap.Metadata.Name} exists and is not this run's (yet)");
            }
            var parsed = PinnedSpecs.Parse(existing);
            if (parsed.Spec is { } spec)
            {
                _pinnedSpecs.Remember(run, spec);
            }
            return new StoredSpec(parsed.Spec, Error: parsed.Error);
        }
    }

    /// <summary>The run ends Failed before (or instead of) planning, with a condition saying why.</summary>
    private static DagRunStatus Failure(DagRun run, DagRunStatus status, DateTimeOffset now, string reason, string message) => status with
    {
        Phase = RunPhase.Failed,
        EndTime = now,
        ObservedGeneration = run.Metadata.Generation,
        Conditions =
        [
            new Condition
            {
                Type = RunConditions.Succeeded, Status = "False", Reason = reason, Message = message,
                LastTransitionTime = now, ObservedGeneration = run.Metadata.Generation,
            },
        ],
    };

    // ---- observing ------------------------------------------------------------------------------------

    /// <summary>
    /// The run's attempts as its Jobs and pods in the cache show them. <c>AwaitingPods</c>: some Job ended before its
    /// pod's final state arrived (look again after <see cref="ExecutionObserver.PodGrace"/>). A finished attempt is
    /// observed once per version of its Job and pod (the informer replaces an object when it changes), so an event
    /// costs the attempts that changed, not all 10,000 of a large run.
    /// </summary>
    private (List<TaskExecution> Executions, bool AwaitingPods) Observe(DagRun run, DateTimeOffset now)
    {
        var jobs = _cache.JobsOf(run);
        var executions = new List<TaskExecution>(jobs.Count);
        var awaitingPods = false;
        foreach (var job in jobs)
        {
            if (!IsOwnedBy(job, run))
            {
                continue;
            }
            var pods = _cache.PodsOf(job);
            if (_finished.TryGetValue(job, out var known) && known.Pods.SequenceEqual(pods, ReferenceEqualityComparer.Instance))
            {
                executions.Add(known.Execution);
                continue;
            }
            if (ExecutionObserver.Observe(job, pods, now) is not { } observed)
            {
                continue;
            }
            executions.Add(observed.Execution);
            awaitingPods |= observed.AwaitingPod;
            if (!observed.AwaitingPod && !observed.Execution.IsLive)
            {
                _finished.AddOrUpdate(job, new FinishedAttempt(pods, observed.Execution));
            }
        }
        return (executions, awaitingPods);
    }

    /// <summary>A finished attempt as observed from these pods (their final states do not depend on the time).</summary>
    private sealed record FinishedAttempt(IReadOnlyList<Pod> Pods, TaskExecution Execution);

    private static bool IsOwnedBy(KubernetesObject obj, DagRun run) => PinnedSpecs.IsOwnedBy(obj, run);

    // ---- applying -------------------------------------------------------------------------------------

    /// <summary>
    /// Deletes and creates Jobs as the plan says. An attempt whose Job cannot be built (template error) or is
    /// refused by the API (invalid) fails like a failed Job: the run is planned again with that failure, until
    /// no new one appears. Null when an API error interrupted (the reconcile backs off).
    /// </summary>
    private async Task<RunPlan?> ApplyAsync(DagRun run, PlanInput input, CancellationToken cancellationToken)
    {
        var plan = RunPlanner.Plan(input);
        var done = new HashSet<string>(StringComparer.Ordinal); // Jobs created or deleted in this reconcile
        var failures = new List<TaskExecution>();
        for (var round = 0; round < MaxApplyRounds; round++)
        {
            var pending = plan.Actions.Where(action => done.Add(ActionKey(action))).ToList();
            var jobs = JobFactory.ForRun(run, plan.Status, input.Spec);
            var readyTimes = ReadyTimes(input.Status, plan.Status);
            // Independent API calls: a few at a time, so a wide fan-out does not wait on each round trip in turn.
            var outcomes = await Task.WhenAll(pending.Select(async action =>
            {
                await _apiCalls.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return action switch
                    {
                        StopExecution stop => await StopAsync(run, stop, cancellationToken).ConfigureAwait(false),
                        StartTask start => await StartAsync(run, input.Spec, jobs, readyTimes, start, cancellationToken).ConfigureAwait(false),
                        _ => throw new UnreachableException($"unknown plan action {action}"),
                    };
                }
                finally
                {
                    _apiCalls.Release();
                }
            })).ConfigureAwait(false);
            if (outcomes.Any(o => o is ActionOutcome.Interrupted))
            {
                return null;
            }
            var failed = outcomes.OfType<ActionOutcome.AttemptFailed>().Select(a => a.Execution).ToList();
            if (failed.Count == 0)
            {
                return plan;
            }
            failures.AddRange(failed);
            plan = RunPlanner.Plan(input with { Executions = [.. input.Executions, .. failures] });
        }
        return plan;
    }

    private static string ActionKey(PlanAction action) => action switch
    {
        StartTask start => "start:" + start.ExecutionName,
        StopExecution stop => "stop:" + stop.ExecutionName,
        _ => action.ToString(),
    };

    private abstract record ActionOutcome
    {
        public sealed record Applied : ActionOutcome;

        public sealed record AttemptFailed(TaskExecution Execution) : ActionOutcome;

        public sealed record Interrupted : ActionOutcome;
    }

    private static readonly ActionOutcome AppliedOutcome = new ActionOutcome.Applied();
    private static readonly ActionOutcome InterruptedOutcome = new ActionOutcome.Interrupted();

    private async Task<ActionOutcome> StopAsync(DagRun run, StopExecution stop, CancellationToken cancellationToken)
    {
        using var taskScope = _logger.BeginScope(new Dictionary<string, object?> { ["task"] = stop.TaskName });
        try
        {
            // Jobs default to orphaning their pods: Background deletes the pod too.
            await _client.DeleteAsync(KubeKinds.Job, run.Metadata.Namespace, stop.ExecutionName, DeleteOptions.Background, cancellationToken)
                .ConfigureAwait(false);
            _logger.LogInformation("Deleted Job {Job}: {Reason}", stop.ExecutionName, stop.Reason);
            return AppliedOutcome;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return AppliedOutcome;
        }
        catch (KubeApiException e)
        {
            _logger.LogWarning("Deleting Job {Job} failed: {Error}", stop.ExecutionName, e.Message);
            return InterruptedOutcome;
        }
    }

    private async Task<ActionOutcome> StartAsync(DagRun run, DagSpec spec, Func<StartTask, JobBuild> jobs,
        IReadOnlyDictionary<string, DateTimeOffset> readyTimes, StartTask start, CancellationToken cancellationToken)
    {
        using var taskScope = _logger.BeginScope(new Dictionary<string, object?> { ["task"] = start.TaskName });
        var build = jobs(start);
        if (build.Error is not null)
        {
            _logger.LogWarning("Try {Try} of task {Task} cannot run: {Error}", start.TryNumber, start.TaskName, build.Error);
            return Failed(start, build.Error);
        }
        if (spec.Workspace is { } workspace && !await EnsureWorkspaceAsync(run, workspace, cancellationToken).ConfigureAwait(false))
        {
            return InterruptedOutcome;
        }
        try
        {
            await _client.CreateAsync(KubeKinds.Job, build.Job!, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (readyTimes.TryGetValue(start.TaskName, out var ready) && _time.GetUtcNow() - ready is var latency && latency >= TimeSpan.Zero)
            {
                _metrics.RecordSchedulingLatency(latency);
            }
            _logger.LogInformation("Created Job {Job} for try {Try} of task {Task}", start.ExecutionName, start.TryNumber, start.TaskName);
            return AppliedOutcome;
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            return await AdoptAsync(run, start, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.Code is 400 or 422)
        {
            return Failed(start, $"task {start.TaskName}: the API server refused Job {start.ExecutionName}: {e.ServerMessage}");
        }
        catch (KubeApiException e)
        {
            _logger.LogWarning("Creating Job {Job} failed: {Error}", start.ExecutionName, e.Message);
            return InterruptedOutcome;
        }
    }

    /// <summary>The Job name is the lock: an existing Job this run owns is this attempt (a restart, a lost write).</summary>
    private async Task<ActionOutcome> AdoptAsync(DagRun run, StartTask start, CancellationToken cancellationToken)
    {
        var existing = _cache.Jobs.Get(run.Metadata.Namespace, start.ExecutionName)
            ?? await _client.TryGetAsync(KubeKinds.Job, run.Metadata.Namespace, start.ExecutionName, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return InterruptedOutcome; // deleted meanwhile: create it on the next reconcile
        }
        if (IsOwnedBy(existing, run))
        {
            _logger.LogInformation("Adopted existing Job {Job} for try {Try} of task {Task}", start.ExecutionName, start.TryNumber, start.TaskName);
            return AppliedOutcome;
        }
        var owner = existing.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        if (existing.Metadata.DeletionTimestamp is not null || (owner?.Kind == K8sFlowApi.DagRunKind && owner.Name == run.Metadata.Name))
        {
            // A Job of an earlier run of the same name, on its way out: wait for the garbage collector.
            _logger.LogInformation("Job {Job} still belongs to a deleted run of the same name; waiting", start.ExecutionName);
            return InterruptedOutcome;
        }
        var ownerText = owner is null ? "no controller" : $"{owner.Kind} {owner.Name}";
        return Failed(start, $"task {start.TaskName}: Job {start.ExecutionName} already exists and is not owned by this run (owner: {ownerText})");
    }

    private ActionOutcome Failed(StartTask start, string message)
    {
        var now = _time.GetUtcNow();
        return new ActionOutcome.AttemptFailed(new TaskExecution(start.TaskName, start.TryNumber, start.ExecutionName, ExecutionPhase.Failed,
            StartTime: now, EndTime: now, Message: message));
    }

    private async Task<bool> EnsureWorkspaceAsync(DagRun run, WorkspaceSpec workspace, CancellationToken cancellationToken)
    {
        var uid = run.Metadata.Uid ?? "";
        lock (_workspaces)
        {
            if (_workspaces.Contains(uid))
            {
                return true;
            }
        }
        try
        {
            await _client.CreateAsync(KubeKinds.PersistentVolumeClaim, JobFactory.BuildWorkspaceClaim(run, workspace),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Created workspace claim {Claim}", JobFactory.WorkspaceClaimName(run.Metadata.Name!));
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            // Created by an earlier reconcile.
        }
        catch (KubeApiException e)
        {
            _logger.LogWarning("Creating the workspace claim failed: {Error}", e.Message);
            return false;
        }
        lock (_workspaces)
        {
            _workspaces.Add(uid);
        }
        return true;
    }

    /// <summary>When each task's next attempt became ready: its retry time for a retry, its ready time for a first try.</summary>
    private static Dictionary<string, DateTimeOffset> ReadyTimes(DagRunStatus? prior, DagRunStatus next)
    {
        var times = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var task in next.Tasks ?? [])
        {
            if (task.ReadyTime is { } ready)
            {
                times.TryAdd(task.Name, ready);
            }
        }
        foreach (var task in prior?.Tasks ?? [])
        {
            if (task is { State: TaskState.UpForRetry, NextTryTime: { } retryAt })
            {
                times[task.Name] = retryAt;
            }
        }
        return times;
    }

    // ---- writing status -------------------------------------------------------------------------------

    /// <summary>
    /// The one status write of a reconcile (skipped when nothing changed), then the Events of <paramref name="change"/>:
    /// the run's status before and after with every task's record (the written form may be compact; After null: no
    /// task changed). Null when the status is written; otherwise what the queue should do instead.
    /// </summary>
    private async Task<ReconcileResult?> WriteStatusAsync(DagRun run, DagRunStatus next, (DagRunStatus? Before, DagRunStatus? After) change,
        CancellationToken cancellationToken)
    {
        var prior = run.Status;
        if (SameJson(prior, next))
        {
            return null;
        }
        try
        {
            var written = await _client.ReplaceStatusAsync(KubeKinds.DagRun, run with { Status = next }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            _ownWrites[OperatorCache.KeyOf(run)] = (run.Metadata.ResourceVersion, written);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            return ReconcileResult.Now("status write conflict: the cache is behind");
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return ReconcileResult.Done;
        }
        await ReportAsync(run, change.Before, change.After ?? next with { Tasks = change.Before?.Tasks }, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private static bool SameJson(DagRunStatus? a, DagRunStatus? b) =>
        JsonSerializer.Serialize(a, KubeJson.Options) == JsonSerializer.Serialize(b, KubeJson.Options);

    /// <summary>Events and task-outcome counts for the transitions a written status made.</summary>
    private async Task ReportAsync(DagRun run, DagRunStatus? prior, DagRunStatus next, CancellationToken cancellationToken)
    {
        var runId = next.RunId ?? run.Metadata.Name;
        if (prior?.Phase is null or RunPhase.Queued && next.Phase == RunPhase.Running)
        {
            _logger.LogInformation("Run {RunId} started", runId);
            await RecordAsync(run, EventTypes.Normal, DagRunEventReasons.Started, $"run {runId} started", cancellationToken).ConfigureAwait(false);
        }
        var before = (prior?.Tasks ?? []).ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        foreach (var task in next.Tasks ?? [])
        {
            var old = before.GetValueOrDefault(task.Name);
            if (old?.State == task.State && old.TryNumber == task.TryNumber)
            {
                continue;
            }
            if (task.State is TaskState.Success or TaskState.Failed or TaskState.UpForRetry or TaskState.Skipped or TaskState.UpstreamFailed)
            {
                _metrics.RecordTaskOutcome(task.State);
            }
            var attempt = task.TryNumber.ToString(CultureInfo.InvariantCulture);
            using var taskScope = _logger.BeginScope(new Dictionary<string, object?> { ["task"] = task.Name });
            if (task.State == TaskState.UpForRetry)
            {
                _logger.LogWarning("Try {Try} of task {Task} failed, retrying: {Message}", task.TryNumber, task.Name, task.Message);
                await RecordAsync(run, EventTypes.Warning, DagRunEventReasons.TaskRetrying,
                    $"task {task.Name} try {attempt} failed: {task.Message}; {task.Reason}", cancellationToken).ConfigureAwait(false);
            }
            else if (task.State == TaskState.Failed)
            {
                _logger.LogWarning("Task {Task} failed at try {Try}: {Message}", task.Name, task.TryNumber, task.Message ?? task.Reason);
                await RecordAsync(run, EventTypes.Warning, DagRunEventReasons.TaskFailed,
                    $"task {task.Name} failed at try {attempt}: {task.Message ?? task.Reason}", cancellationToken).ConfigureAwait(false);
            }
        }
        if (prior?.Phase != next.Phase && next.Phase is RunPhase.Succeeded or RunPhase.Failed)
        {
            var condition = next.Conditions?.FirstOrDefault(c => c.Type == RunConditions.Succeeded);
            var message = $"run {runId} {next.Phase.ToString()!.ToLowerInvariant()}: {condition?.Reason}{(condition?.Message is { } m ? $": {m}" : "")}";
            _logger.LogInformation("Run {RunId} finished {Phase}: {Message}", runId, next.Phase, condition?.Message);
            await RecordAsync(run, next.Phase == RunPhase.Succeeded ? EventTypes.Normal : EventTypes.Warning,
                next.Phase == RunPhase.Succeeded ? DagRunEventReasons.Succeeded : DagRunEventReasons.Failed, message, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task RecordAsync(DagRun run, string type, string reason, string message, CancellationToken cancellationToken) =>
        _events.RecordAsync(run, type, reason, message, cancellationToken: cancellationToken);

    // ---- events -> queue ------------------------------------------------------------------------------

    private void OnRunUpdated(DagRun old, DagRun run)
    {
        Queue.Add(OperatorCache.KeyOf(run));
        // A run that starts takes a maxActiveRuns slot, one that ends frees one: the queued runs re-decide.
        if (old.Status?.Phase != run.Status?.Phase)
        {
            EnqueueQueuedRuns(run.Metadata.Namespace!, run.Spec.DagName);
        }
    }

    private void OnRunDeleted(DagRun run)
    {
        _admission.Forget(run.Metadata.Namespace!, run.Spec.DagName, OperatorCache.KeyOf(run));
        _pinnedSpecs.Forget(run);
        _ownWrites.TryRemove(OperatorCache.KeyOf(run), out _);
        lock (_workspaces)
        {
            _workspaces.Remove(run.Metadata.Uid ?? "");
        }
        EnqueueQueuedRuns(run.Metadata.Namespace!, run.Spec.DagName);
    }

    private void EnqueueQueuedRuns(Dag dag) => EnqueueQueuedRuns(dag.Metadata.Namespace!, dag.Metadata.Name!);

    private void EnqueueQueuedRuns(string @namespace, string dagName)
    {
        foreach (var queued in _cache.RunsOf(@namespace, dagName).Where(r => r.Status?.Phase is null or RunPhase.Queued))
        {
            Queue.Add(OperatorCache.KeyOf(queued));
        }
    }

    /// <summary>A Job's run from its controller owner reference; a pod's (owned by its Job) from its run label.</summary>
    private void EnqueueOwner(KubernetesObject obj)
    {
        var ns = obj.Metadata.Namespace!;
        var owner = obj.Metadata.OwnerReferences?.FirstOrDefault(o => o.Kind == K8sFlowApi.DagRunKind && o.Controller == true);
        if (owner is not null)
        {
            Queue.Add(Informer<DagRun>.KeyOf(ns, owner.Name));
            return;
        }
        if (obj.Metadata.Labels?.GetValueOrDefault(K8sFlowApi.Labels.DagRun) is { } label)
        {
            foreach (var run in _cache.RunsLabelled(ns, label))
            {
                Queue.Add(OperatorCache.KeyOf(run));
            }
        }
    }

    private static TimeSpan? Earliest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    public void Dispose()
    {
        _queueDepth.Dispose();
        Queue.Dispose();
        _apiCalls.Dispose();
    }
}
