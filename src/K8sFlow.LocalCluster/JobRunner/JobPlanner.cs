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

        var stopping = spec.Suspend || conditions.IsTrue(FailureTarget) || conditions.IsTrue(SuccessCriteriaMet);
        var counting = Count(job.Namespace(), spec, pods, ledger, stopping, now);
        var active = pods.Where(p => p.Active).ToList();
        var terminating = pods.Count(p => p.Deleting && !p.Terminal);
        var startTime = KubeJson.TryParseTime(KubeJson.AsString(status["startTime"]), out var parsed) ? parsed : (DateTimeOffset?)null;
        if (!stopping)
        {
            Decide(spec, conditions, counting, active.Sum(p => p.Restarts), startTime, now);
        }

        var actions = conditions.IsTrue(FailureTarget) ? Failing(conditions, active, terminating, now)
            : conditions.IsTrue(SuccessCriteriaMet) ? Succeeding(spec, conditions, active, terminating, status, now)
            : spec.Suspend ? Suspending(conditions, active)
            : Running(spec, conditions, counting, active, startTime, failedPodBackoff, now);
        startTime = actions.StartTime ?? startTime;

        if (startTime is { } start)
        {
            status["startTime"] = KubeJson.Time(start);
        }
        SetCount(status, "active", active.Count(p => !actions.Delete.Contains(p.Name)) + actions.Create);
        SetCount(status, "succeeded", counting.Succeeded);
        SetCount(status, "failed", counting.Failed);
        status["ready"] = active.Count(p => p.Ready && !actions.Delete.Contains(p.Name));
        status["terminating"] = terminating;
        status["uncountedTerminatedPods"] = new JsonObject();
        status["conditions"] = conditions.Conditions;
        if (conditions.Conditions.Count == 0)
        {
            status.Remove("conditions");
        }

        var finished = conditions.IsTrue(Complete) || conditions.IsTrue(Failed);
        var recheck = !finished ? actions.Recheck
            : spec.TtlSecondsAfterFinished is { } ttl && ttl > 0 ? now.AddSeconds(ttl) : null;
        var present = pods.Select(p => p.Uid).ToHashSet();
        var ledgerAfter = counting.Ledger with { Counted = counting.Ledger.Counted.Where(present.Contains).ToHashSet() };
        return new JobPlan(status, actions.Create, actions.Delete, actions.Stop, ledgerAfter, recheck, DeleteJob: finished && spec.TtlSecondsAfterFinished is <= 0);
    }

    /// <summary>What to do with the pods: create, delete, stop; when to look again; a new start time.</summary>
    private sealed record PodActions(int Create, IReadOnlyList<string> Delete, IReadOnlyList<PodDeadline> Stop, DateTimeOffset? Recheck = null, DateTimeOffset? StartTime = null);

    /// <summary>The outcome, first match wins: enough successes, a FailJob policy match, too many failures, the deadline.</summary>
    private static void Decide(JobSpecView spec, JobConditions conditions, Counting counting, int restarts, DateTimeOffset? startTime, DateTimeOffset now)
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

    /// <summary>
    /// Failing: active pods go (past the deadline they are stopped by the kubelet with reason
    /// DeadlineExceeded, so the pod and its log stay for inspection); Failed once none is left.
    /// </summary>
    private static PodActions Failing(JobConditions conditions, List<PodObservation> active, int terminating, DateTimeOffset now)
    {
        var reason = conditions.Reason(FailureTarget);
        var delete = new List<string>();
        var stop = new List<PodDeadline>();
        foreach (var pod in active)
        {
            if (reason != DeadlineExceeded)
            {
                delete.Add(pod.Name);
                continue;
            }
            var ran = Math.Max(1, (long)(now - (pod.Started ?? pod.Created)).TotalSeconds);
            if (pod.ActiveDeadlineSeconds is not { } current || current > ran)
            {
                stop.Add(new PodDeadline(pod.Name, ran));
            }
        }
        if (active.Count == 0 && terminating == 0)
        {
            conditions.Set(Failed, true, reason, conditions.Message(FailureTarget));
        }
        return new PodActions(0, delete, stop);
    }

    /// <summary>
    /// Succeeding: with completions, pods still active are not needed; without (work queue) they finish on
    /// their own. Complete, with a completionTime, once none is left.
    /// </summary>
    private static PodActions Succeeding(JobSpecView spec, JobConditions conditions, List<PodObservation> active, int terminating, JsonObject status, DateTimeOffset now)
    {
        if (active.Count == 0 && terminating == 0)
        {
            conditions.Set(Complete, true, CompletionsReached, CompletionsReachedMessage);
            status["completionTime"] = KubeJson.Time(now);
        }
        return new PodActions(0, spec.Completions is null ? [] : active.Select(p => p.Name).ToList(), []);
    }

    private static PodActions Suspending(JobConditions conditions, List<PodObservation> active)
    {
        conditions.Set(Suspended, true, "JobSuspended", "Job suspended");
        return new PodActions(0, active.Select(p => p.Name).ToList(), []);
    }

    /// <summary>
    /// Running: keep min(parallelism, completions - succeeded) pods active (replacing failed ones after the
    /// backoff delay), and look again when the deadline passes. Resuming restarts the clock.
    /// </summary>
    private static PodActions Running(JobSpecView spec, JobConditions conditions, Counting counting, List<PodObservation> active,
        DateTimeOffset? startTime, TimeSpan failedPodBackoff, DateTimeOffset now)
    {
        if (conditions.IsTrue(Suspended))
        {
            conditions.Set(Suspended, false, "JobResumed", "Job resumed");
            startTime = null;
        }
        var start = startTime ?? now;
        var wanted = spec.Completions is { } completions ? Math.Min(spec.Parallelism, completions - counting.Succeeded)
            : counting.Succeeded > 0 ? 0 : spec.Parallelism;
        var create = 0;
        var delete = new List<string>();
        DateTimeOffset? recheck = null;
        if (active.Count < wanted)
        {
            if (ReplaceAt(counting, failedPodBackoff) is { } at && now < at)
            {
                recheck = at;
            }
            else
            {
                create = wanted - active.Count;
            }
        }
        else if (active.Count > wanted)
        {
            // Drop pods that have not started first, then the newest.
            delete.AddRange(active.OrderBy(p => p.Started is not null).ThenByDescending(p => p.Created)
                .Take(active.Count - wanted).Select(p => p.Name));
        }
        if (spec.ActiveDeadlineSeconds is { } deadline)
        {
            recheck = Earliest(recheck, start.AddSeconds(deadline));
        }
        return new PodActions(create, delete, [], recheck, start);
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
