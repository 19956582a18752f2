using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using static K8sFlow.LocalCluster.JobRunner.JobConditionTypes;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// What the Job controller has already counted into status.succeeded/failed, so that counts never go
/// down when counted pods are deleted. <see cref="Departed"/>: pods deleted before they were counted
/// (a finished one counts as it ended; an unfinished one as a failure).
/// </summary>
internal sealed record JobLedger(int Succeeded, int Failed, DateTimeOffset? LastFailure, IReadOnlySet<string> Counted, IReadOnlyList<PodObservation> Departed)
{
    public static readonly JobLedger Empty = new(0, 0, null, new HashSet<string>(), []);

    /// <summary>
    /// The ledger of a Job seen for the first time (also after a restart): the pods that have finished are
    /// taken as counted, and the counts are at least what those pods say.
    /// </summary>
    public static JobLedger Seed(JsonObject job, IReadOnlyList<PodObservation> pods)
    {
        var status = job["status"];
        var failedPods = pods.Where(p => p.Failed).ToList();
        return new JobLedger(
            Math.Max((int)(KubeJson.AsLong(status?["succeeded"]) ?? 0), pods.Count(p => p.Succeeded)),
            Math.Max((int)(KubeJson.AsLong(status?["failed"]) ?? 0), failedPods.Count),
            failedPods.Max(p => p.Finished),
            pods.Where(p => p.Terminal).Select(p => p.Uid).ToHashSet(),
            []);
    }
}

/// <summary>
/// One reconcile's decision for a Job: the status to write, pods to create, delete or stop, when to
/// look again, and whether the Job's time to live is over.
/// </summary>
internal sealed record JobPlan(
    JsonObject Status,
    int PodsToCreate,
    IReadOnlyList<string> PodsToDelete,
    IReadOnlyList<PodDeadline> PodsToStop,
    JobLedger Ledger,
    DateTimeOffset? RecheckAt,
    bool DeleteJob);

/// <summary>Stop a running pod by lowering its spec.activeDeadlineSeconds to what it has already run.</summary>
internal sealed record PodDeadline(string Pod, long ActiveDeadlineSeconds);

/// <summary>
/// The batch/v1 Job controller's rules as a pure function of the Job, its pods, the ledger and the time:
/// pods up to min(parallelism, completions - succeeded); SuccessCriteriaMet then Complete; FailureTarget
/// (PodFailurePolicy, BackoffLimitExceeded, DeadlineExceeded) then Failed once no pod runs; Suspended;
/// exponential delay before replacing failed pods; ttlSecondsAfterFinished.
/// </summary>
internal static class JobPlanner
{
    private static readonly TimeSpan MaxFailedPodBackoff = TimeSpan.FromMinutes(6);

    public static JobPlan Plan(JsonObject job, IReadOnlyList<PodObservation> pods, JobLedger ledger, TimeSpan failedPodBackoff, DateTimeOffset now)
    {
        var spec = JobSpecView.From(job);
        var status = (job["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        var conditions = new JobConditions(status["conditions"], now);
        if (conditions.IsTrue(Complete) || conditions.IsTrue(Failed))
        {
            return Finished(spec, status, conditions, ledger, now);
        }

        var counting = Count(job.Namespace(), spec, pods, ledger, stopping: spec.Suspend || conditions.IsTrue(FailureTarget) || conditions.IsTrue(SuccessCriteriaMet), now);
        var active = pods.Where(p => p.Active).ToList();
        var terminating = pods.Count(p => p.Deleting && !p.Terminal);
        var restarts = active.Sum(p => p.Restarts);
        var startTime = KubeJson.TryParseTime(KubeJson.AsString(status["startTime"]), out var parsed) ? parsed : (DateTimeOffset?)null;
        var toDelete = new List<string>();
        var toStop = new List<PodDeadline>();
        var toCreate = 0;
        DateTimeOffset? recheck = null;

        if (!conditions.IsTrue(FailureTarget) && !conditions.IsTrue(SuccessCriteriaMet) && !spec.Suspend)
        {
            if (spec.Completions is { } completions ? counting.Succeeded >= completions : counting.Succeeded > 0)
            {
                conditions.Set(SuccessCriteriaMet, true, CompletionsReached, CompletionsReachedMessage);
            }
            else if (counting.PolicyFailure is { } policyMessage)
            {
                conditions.Set(FailureTarget, true, PodFailurePolicy, policyMessage);
            }
            else if (counting.Failed + restarts > spec.BackoffLimit)
            {
                conditions.Set(FailureTarget, true, BackoffLimitExceeded, BackoffLimitExceededMessage);
            }
            else if (spec.ActiveDeadlineSeconds is { } deadline && startTime is { } started && now >= started.AddSeconds(deadline))
            {
                conditions.Set(FailureTarget, true, DeadlineExceeded, DeadlineExceededMessage);
            }
        }

        if (conditions.IsTrue(FailureTarget))
        {
            var reason = conditions.Reason(FailureTarget);
            foreach (var pod in active)
            {
                if (reason == DeadlineExceeded)
                {
                    // The kubelet stops it with reason DeadlineExceeded; the pod and its log stay for inspection.
                    var ran = Math.Max(1, (long)(now - (pod.Started ?? pod.Created)).TotalSeconds);
                    if (pod.ActiveDeadlineSeconds is not { } current || current > ran)
                    {
                        toStop.Add(new PodDeadline(pod.Name, ran));
                    }
                }
                else
                {
                    toDelete.Add(pod.Name);
                }
            }
            if (active.Count == 0 && terminating == 0)
            {
                conditions.Set(Failed, true, reason, conditions.Message(FailureTarget));
            }
        }
        else if (conditions.IsTrue(SuccessCriteriaMet))
        {
            // With completions, extra pods are not needed; without (work queue), the others finish on their own.
            if (spec.Completions is not null)
            {
                toDelete.AddRange(active.Select(p => p.Name));
            }
            if (active.Count == 0 && terminating == 0)
            {
                conditions.Set(Complete, true, CompletionsReached, CompletionsReachedMessage);
                status["completionTime"] = KubeJson.Time(now);
            }
        }
        else if (spec.Suspend)
        {
            toDelete.AddRange(active.Select(p => p.Name));
            conditions.Set(Suspended, true, "JobSuspended", "Job suspended");
        }
        else
        {
            if (conditions.IsTrue(Suspended))
            {
                conditions.Set(Suspended, false, "JobResumed", "Job resumed");
                startTime = now;
            }
            startTime ??= now;
            var wanted = spec.Completions is { } completions ? Math.Min(spec.Parallelism, completions - counting.Succeeded) : counting.Succeeded > 0 ? 0 : spec.Parallelism;
            if (active.Count < wanted)
            {
                var replaceAt = ReplaceAt(counting, failedPodBackoff);
                if (replaceAt is { } at && now < at)
                {
                    recheck = at;
                }
                else
                {
                    toCreate = wanted - active.Count;
                }
            }
            else if (active.Count > wanted)
            {
                // Drop pods that have not started first, then the newest.
                toDelete.AddRange(active.OrderBy(p => p.Started is not null).ThenByDescending(p => p.Created)
                    .Take(active.Count - wanted).Select(p => p.Name));
            }
            if (spec.ActiveDeadlineSeconds is { } deadline)
            {
                recheck = Earliest(recheck, startTime.Value.AddSeconds(deadline));
            }
        }

        if (startTime is { } start)
        {
            status["startTime"] = KubeJson.Time(start);
        }
        var activeCount = active.Count - active.Count(p => toDelete.Contains(p.Name)) + toCreate;
        SetCount(status, "active", activeCount);
        SetCount(status, "succeeded", counting.Succeeded);
        SetCount(status, "failed", counting.Failed);
        status["ready"] = active.Count(p => p.Ready && !toDelete.Contains(p.Name));
        status["terminating"] = terminating;
        status["uncountedTerminatedPods"] = new JsonObject();
        status["conditions"] = conditions.Conditions;
        if (conditions.Conditions.Count == 0)
        {
            status.Remove("conditions");
        }
        var finished = conditions.IsTrue(Complete) || conditions.IsTrue(Failed);
        if (finished)
        {
            recheck = spec.TtlSecondsAfterFinished is { } ttl && ttl > 0 ? now.AddSeconds(ttl) : null;
        }
        var present = pods.Select(p => p.Uid).ToHashSet();
        var ledgerAfter = counting.Ledger with { Counted = counting.Ledger.Counted.Where(present.Contains).ToHashSet() };
        return new JobPlan(status, toCreate, toDelete, toStop, ledgerAfter, recheck, DeleteJob: finished && spec.TtlSecondsAfterFinished is <= 0);
    }

    /// <summary>A finished Job changes no more; only its time to live runs.</summary>
    private static JobPlan Finished(JobSpecView spec, JsonObject status, JobConditions conditions, JobLedger ledger, DateTimeOffset now)
    {
        DateTimeOffset? expires = null;
        if (spec.TtlSecondsAfterFinished is { } ttl)
        {
            var finishedAt = conditions.TransitionTime(conditions.IsTrue(Complete) ? Complete : Failed) ?? now;
            expires = finishedAt.AddSeconds(ttl);
        }
        var delete = expires is { } at && now >= at;
        return new JobPlan(status, 0, [], [], ledger, delete ? null : expires, delete);
    }

    private sealed record Counting(int Succeeded, int Failed, DateTimeOffset? LastFailure, string? PolicyFailure, JobLedger Ledger);

    /// <summary>
    /// Adds the pods that finished since the last count (present or departed). The pod failure policy
    /// (restartPolicy Never) may ignore a failure or fail the Job. Pods deleted unfinished, or failing once
    /// deleted, count as failed unless the Job is already stopping them (suspended, failing or succeeding).
    /// </summary>
    private static Counting Count(string ns, JobSpecView spec, IReadOnlyList<PodObservation> pods, JobLedger ledger, bool stopping, DateTimeOffset now)
    {
        var succeeded = ledger.Succeeded;
        var failed = ledger.Failed;
        var lastFailure = ledger.LastFailure;
        string? policyFailure = null;
        var counted = new HashSet<string>(ledger.Counted);
        foreach (var pod in pods.Concat(ledger.Departed).Where(p => p.Terminal && !ledger.Counted.Contains(p.Uid)).OrderBy(p => p.Finished))
        {
            counted.Add(pod.Uid);
            if (pod.Succeeded)
            {
                succeeded++;
                continue;
            }
            if (pod.Deleting && stopping)
            {
                continue;
            }
            var (action, message) = spec.RestartPolicy == "Never" ? MatchFailurePolicy(ns, spec.FailurePolicy, pod) : (null, null);
            if (action == PodFailurePolicyRule.Ignore)
            {
                continue;
            }
            failed++;
            lastFailure = Latest(lastFailure, pod.Finished ?? now);
            if (action == PodFailurePolicyRule.FailJob)
            {
                policyFailure ??= message;
            }
        }
        foreach (var uid in ledger.Departed.Where(p => !p.Terminal).Select(p => p.Uid).Where(uid => !counted.Contains(uid)))
        {
            counted.Add(uid);
            if (!stopping)
            {
                failed++;
                lastFailure = Latest(lastFailure, now);
            }
        }
        var next = new JobLedger(succeeded, failed, lastFailure, counted, []);
        return new Counting(succeeded, failed, lastFailure, policyFailure, next);
    }

    /// <summary>The first matching rule's action and message; no match is (null, null): the failure counts.</summary>
    private static (string? Action, string? Message) MatchFailurePolicy(string ns, IReadOnlyList<PodFailurePolicyRule> rules, PodObservation pod)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Match(ns, pod, rules[i].Action, i) is { } message)
            {
                return (rules[i].Action, message);
            }
        }
        return (null, null);
    }

    /// <summary>When the next replacement pod may start: 10 s, 20 s, 40 s... after the last failure (capped at 6 minutes).</summary>
    private static DateTimeOffset? ReplaceAt(Counting counting, TimeSpan backoff)
    {
        if (counting.Failed == 0 || backoff <= TimeSpan.Zero || counting.LastFailure is not { } last)
        {
            return null;
        }
        var delay = backoff * Math.Pow(2, Math.Min(counting.Failed - 1, 30));
        return last + (delay > MaxFailedPodBackoff ? MaxFailedPodBackoff : delay);
    }

    private static void SetCount(JsonObject status, string field, int value)
    {
        if (value > 0)
        {
            status[field] = value;
        }
        else
        {
            status.Remove(field);
        }
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
