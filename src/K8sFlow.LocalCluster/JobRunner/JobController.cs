using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Resources;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// The batch/v1 Job controller of the local cluster. One loop owns all state: informer events update
/// the caches and mark Jobs dirty, then each dirty Job is planned (<see cref="JobPlanner"/>) and the
/// plan applied through the store. Writes go to the cache at once (newer resourceVersion wins), so a
/// Job is never given a second pod because the watch had not delivered the first yet.
/// </summary>
internal sealed class JobController : IAsyncDisposable
{
    public const string FieldManager = "job-controller";

    /// <summary>Longest generateName prefix: the apiserver keeps room for the 5 random characters.</summary>
    private const int MaxGeneratedPrefix = 58;

    /// <summary>Plans per reconcile when the status write keeps meeting a newer Job.</summary>
    private const int MaxAttempts = 5;

    private readonly ClusterStore _store;
    private readonly JobRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<ObjectKey, JsonObject> _jobs = [];
    private readonly Dictionary<ObjectKey, CachedPod> _pods = [];
    private readonly Dictionary<string, HashSet<ObjectKey>> _podsByJob = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JobLedger> _ledgers = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectKey, ITimer> _timers = [];
    private readonly HashSet<ObjectKey> _dirty = [];
    private readonly HashSet<ResourceRef> _listed = [];
    private readonly Task[] _tasks;

    /// <summary>A pod as the controller remembers it: the facts it plans with and the Job that controls it.</summary>
    private sealed record CachedPod(long Version, string? JobUid, ObjectKey? Job, PodObservation Observation);

    private sealed record Recheck(ObjectKey Job);

    public JobController(ClusterStore store, JobRunnerOptions options)
    {
        _store = store;
        _options = options;
        _time = store.Options.Time;
        _tasks =
        [
            Task.Run(() => RunAsync(_stop.Token)),
            StoreInformer.RunAsync(store, ResourceRef.Pods, Post, _stop.Token),
            StoreInformer.RunAsync(store, ResourceRef.Jobs, Post, _stop.Token),
        ];
    }

    private void Post(object message) => _inbox.Writer.TryWrite(message);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(cancellationToken))
            {
                while (_inbox.Reader.TryRead(out var message))
                {
                    Apply(message);
                }
                if (_listed.Count < 2)
                {
                    // Planning a Job before its pods are known would create them twice.
                    continue;
                }
                // A reconcile's own writes mark its Job again (the cache changed): plan once more until
                // nothing changes; a plan that changes nothing writes nothing.
                while (_dirty.Count > 0)
                {
                    var dirty = _dirty.ToList();
                    _dirty.Clear();
                    foreach (var job in dirty)
                    {
                        ReconcileSafely(job);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Apply(object message)
    {
        if (message is InformerReset { Resource: var resource })
        {
            _listed.Add(resource);
        }
        switch (message)
        {
            case Recheck recheck:
                _dirty.Add(recheck.Job);
                break;
            case InformerReset { Resource: var r } reset when r == ResourceRef.Jobs:
                var listed = reset.Objects.Select(o => o.Uid()).ToHashSet();
                foreach (var gone in _jobs.Values.Where(j => !listed.Contains(j.Uid())).ToList())
                {
                    ForgetJob(gone);
                }
                foreach (var job in reset.Objects)
                {
                    RememberJob(job);
                }
                break;
            case InformerChange { Resource: var r } change when r == ResourceRef.Jobs:
                if (change.Type == WatchEventType.Deleted)
                {
                    ForgetJob(change.Object);
                }
                else
                {
                    RememberJob(change.Object);
                }
                break;
            case InformerReset { Resource: var r } reset when r == ResourceRef.Pods:
                var present = reset.Objects.Select(ObjectKey.Of).ToHashSet();
                foreach (var gone in _pods.Keys.Where(k => !present.Contains(k)).ToList())
                {
                    ForgetPod(gone, departed: true);
                }
                foreach (var pod in reset.Objects)
                {
                    RememberPod(pod);
                }
                break;
            case InformerChange { Resource: var r } change when r == ResourceRef.Pods:
                if (change.Type == WatchEventType.Deleted)
                {
                    ForgetPod(ObjectKey.Of(change.Object), departed: true);
                }
                else
                {
                    RememberPod(change.Object);
                }
                break;
        }
    }

    private static long VersionOf(JsonObject obj) =>
        long.TryParse(obj.ResourceVersion(), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;

    private void RememberJob(JsonObject job)
    {
        var key = ObjectKey.Of(job);
        if (_jobs.TryGetValue(key, out var known) && known.Uid() == job.Uid() && VersionOf(known) >= VersionOf(job))
        {
            return;
        }
        if (known is not null && known.Uid() != job.Uid())
        {
            ForgetJob(known);
        }
        _jobs[key] = job;
        _dirty.Add(key);
    }

    private void ForgetJob(JsonObject job)
    {
        var key = ObjectKey.Of(job);
        if (_jobs.TryGetValue(key, out var known) && known.Uid() == job.Uid())
        {
            _jobs.Remove(key);
            CancelRecheck(key);
        }
        _ledgers.Remove(job.Uid());
    }

    private void RememberPod(JsonObject pod)
    {
        var key = ObjectKey.Of(pod);
        var version = VersionOf(pod);
        if (_pods.TryGetValue(key, out var known))
        {
            if (known.Observation.Uid == pod.Uid() && known.Version >= version)
            {
                return;
            }
            if (known.Observation.Uid != pod.Uid())
            {
                ForgetPod(key, departed: true);
            }
        }
        var owner = pod.OwnerReferences().FirstOrDefault(r => KubeJson.AsBool(r["controller"]) == true && KubeJson.AsString(r["kind"]) == "Job");
        var jobUid = KubeJson.AsString(owner?["uid"]);
        ObjectKey? job = owner is null ? null : new ObjectKey(pod.Namespace(), KubeJson.AsString(owner["name"]) ?? "");
        _pods[key] = new CachedPod(version, jobUid, job, PodObservation.From(pod));
        if (jobUid is not null && job is { } jobKey)
        {
            if (!_podsByJob.TryGetValue(jobUid, out var owned))
            {
                owned = [];
                _podsByJob[jobUid] = owned;
            }
            owned.Add(key);
            _dirty.Add(jobKey);
        }
    }

    /// <summary>
    /// Drops a pod. One that <paramref name="departed"/> (deleted by someone else) before the Job counted it
    /// is kept in the ledger to be counted: as it ended, or as a failure when it had not finished.
    /// </summary>
    private void ForgetPod(ObjectKey key, bool departed)
    {
        if (!_pods.Remove(key, out var known) || known.JobUid is not { } jobUid || known.Job is not { } jobKey)
        {
            return;
        }
        if (_podsByJob.TryGetValue(jobUid, out var owned))
        {
            owned.Remove(key);
            if (owned.Count == 0)
            {
                _podsByJob.Remove(jobUid);
            }
        }
        if (departed && _jobs.TryGetValue(jobKey, out var job) && job.Uid() == jobUid && LedgerFor(job) is var ledger
            && !ledger.Counted.Contains(known.Observation.Uid))
        {
            _ledgers[jobUid] = ledger with { Departed = [.. ledger.Departed, known.Observation] };
        }
        _dirty.Add(jobKey);
    }

    private List<PodObservation> PodsOf(string jobUid) =>
        _podsByJob.TryGetValue(jobUid, out var owned) ? owned.Select(k => _pods[k].Observation).ToList() : [];

    private JobLedger LedgerFor(JsonObject job)
    {
        if (!_ledgers.TryGetValue(job.Uid(), out var ledger))
        {
            ledger = JobLedger.Seed(job, PodsOf(job.Uid()));
            _ledgers[job.Uid()] = ledger;
        }
        return ledger;
    }

    private void ReconcileSafely(ObjectKey key)
    {
        try
        {
            Reconcile(key);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _options.Log?.Invoke($"job controller: reconciling job {key} failed: {e}");
            _dirty.Remove(key);
            ScheduleRecheck(key, _time.GetUtcNow() + _options.MissingObjectRetry);
        }
    }

    private void Reconcile(ObjectKey key)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (!_jobs.TryGetValue(key, out var job) || job.IsDeleting())
            {
                CancelRecheck(key);
                return;
            }
            var now = _time.GetUtcNow();
            var plan = JobPlanner.Plan(job, PodsOf(job.Uid()), LedgerFor(job), _options.FailedPodBackoff, now);
            StopPods(job, plan.PodsToStop);
            DeletePods(job, plan.PodsToDelete);
            var created = CreatePods(job, plan.PodsToCreate);
            switch (WriteStatus(job, plan.Status))
            {
                case StatusWrite.Stale:
                    continue;
                case StatusWrite.Failed:
                    ScheduleRecheck(key, now + _options.MissingObjectRetry);
                    return;
                case StatusWrite.Gone:
                    return;
            }
            _ledgers[job.Uid()] = plan.Ledger;
            ScheduleRecheck(key, created < plan.PodsToCreate ? now + _options.MissingObjectRetry : plan.RecheckAt);
            if (plan.DeleteJob)
            {
                _store.Delete(ResourceRef.Jobs, key.Namespace, key.Name, new DeleteOptions { PropagationPolicy = PropagationPolicy.Background, PreconditionUid = job.Uid() });
            }
            return;
        }
        ScheduleRecheck(key, _time.GetUtcNow() + _options.MissingObjectRetry);
    }

    private enum StatusWrite
    {
        Written,
        Stale,
        Gone,
        Failed,
    }

    /// <summary>Writes the planned status when it differs, with the Job's resourceVersion; Stale: re-read, plan again.</summary>
    private StatusWrite WriteStatus(JsonObject job, JsonObject status)
    {
        if (KubeJson.Equal(status, job["status"]))
        {
            return StatusWrite.Written;
        }
        var key = ObjectKey.Of(job);
        var written = _store.UpdateStatus(ResourceRef.Jobs, key.Namespace, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = key.Name, ["namespace"] = key.Namespace, ["resourceVersion"] = job.ResourceVersion() },
            ["status"] = status.DeepClone(),
        }, new WriteOptions { FieldManager = FieldManager });
        if (written.IsSuccess)
        {
            RememberJob(written.Value);
            return StatusWrite.Written;
        }
        if (StoreWrites.IsNotFound(written.Error))
        {
            return StatusWrite.Gone;
        }
        if (StoreWrites.IsConflict(written.Error) && _store.Get(ResourceRef.Jobs, key.Namespace, key.Name) is { IsSuccess: true } fresh)
        {
            RememberJob(fresh.Value);
            return StatusWrite.Stale;
        }
        _options.Log?.Invoke($"job controller: writing the status of job {key} failed: {written.Error.Message}");
        return StatusWrite.Failed;
    }

    private void StopPods(JsonObject job, IReadOnlyList<PodDeadline> stops)
    {
        foreach (var stop in stops)
        {
            var key = new ObjectKey(job.Namespace(), stop.Pod);
            if (!_pods.TryGetValue(key, out var known))
            {
                continue;
            }
            var written = StoreWrites.Update(_store, ResourceRef.Pods, key.Namespace, key.Name, known.Observation.Uid, null, pod =>
            {
                if (KubeJson.AsLong(pod["spec"]?["activeDeadlineSeconds"]) is { } current && current <= stop.ActiveDeadlineSeconds)
                {
                    return null;
                }
                pod.EnsureObject("spec")["activeDeadlineSeconds"] = stop.ActiveDeadlineSeconds;
                return pod;
            }, FieldManager);
            if (written is { IsSuccess: true } ok)
            {
                RememberPod(ok.Value);
            }
        }
    }

    private void DeletePods(JsonObject job, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            var key = new ObjectKey(job.Namespace(), name);
            if (!_pods.TryGetValue(key, out var known))
            {
                continue;
            }
            var deleted = _store.Delete(ResourceRef.Pods, key.Namespace, name, new DeleteOptions { PreconditionUid = known.Observation.Uid });
            if (deleted.IsSuccess && !deleted.Value.Removed)
            {
                RememberPod(deleted.Value.Object);
            }
            else
            {
                // Removed by the controller itself: not a failure of the Job.
                ForgetPod(key, departed: false);
            }
        }
    }

    /// <summary>Creates pods from the template; returns how many were created.</summary>
    private int CreatePods(JsonObject job, int count)
    {
        var created = 0;
        for (var i = 0; i < count; i++)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var result = _store.Create(ResourceRef.Pods, job.Namespace(), PodFor(job), new WriteOptions { FieldManager = FieldManager });
                if (result.IsSuccess)
                {
                    RememberPod(result.Value);
                    created++;
                    break;
                }
                if (result.Error.Reason != "AlreadyExists")
                {
                    _options.Log?.Invoke($"job controller: creating a pod for job {ObjectKey.Of(job)} failed: {result.Error.Message}");
                    return created;
                }
            }
        }
        return created;
    }

    /// <summary>
    /// A pod from the Job's template: name "&lt;job&gt;-&lt;5 random&gt;", the template's labels and annotations plus
    /// the Job labels, and an ownerReference that makes the Job its controller.
    /// </summary>
    internal static JsonObject PodFor(JsonObject job)
    {
        var template = job["spec"]?["template"]?.DeepClone() as JsonObject ?? [];
        var templateMeta = template["metadata"] as JsonObject ?? [];
        var labels = templateMeta["labels"] as JsonObject ?? [];
        labels[JobStrategy.ControllerUidLabel] = job.Uid();
        labels[JobStrategy.JobNameLabel] = job.Name();
        labels[JobStrategy.LegacyControllerUidLabel] = job.Uid();
        labels[JobStrategy.LegacyJobNameLabel] = job.Name();
        var prefix = job.Name() + "-";
        var metadata = new JsonObject
        {
            ["generateName"] = prefix.Length > MaxGeneratedPrefix ? prefix[..MaxGeneratedPrefix] : prefix,
            ["namespace"] = job.Namespace(),
            ["labels"] = labels.DeepClone(),
            ["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "batch/v1",
                ["kind"] = "Job",
                ["name"] = job.Name(),
                ["uid"] = job.Uid(),
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            }),
        };
        if (templateMeta["annotations"] is JsonObject annotations)
        {
            metadata["annotations"] = annotations.DeepClone();
        }
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    private void ScheduleRecheck(ObjectKey key, DateTimeOffset? at)
    {
        CancelRecheck(key);
        if (at is not { } when)
        {
            return;
        }
        var delay = when - _time.GetUtcNow();
        if (delay < TimeSpan.Zero)
        {
            delay = TimeSpan.Zero;
        }
        _timers[key] = _time.CreateTimer(_ => Post(new Recheck(key)), null, delay, Timeout.InfiniteTimeSpan);
    }

    private void CancelRecheck(ObjectKey key)
    {
        if (_timers.Remove(key, out var timer))
        {
            timer.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _inbox.Writer.TryComplete();
        await Task.WhenAll(_tasks);
        foreach (var timer in _timers.Values)
        {
            timer.Dispose();
        }
        _timers.Clear();
        _stop.Dispose();
    }
}
