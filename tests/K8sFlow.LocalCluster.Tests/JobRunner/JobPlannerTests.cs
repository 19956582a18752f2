using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.JobRunner;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary>The Job controller's rules as a pure function: pods, counts, conditions and timers.</summary>
public sealed class JobPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan NoBackoff = TimeSpan.Zero;

    private static JsonObject Job(int completions = 1, int parallelism = 1, int backoffLimit = 6, long? deadline = null, bool suspend = false,
        long? ttl = null, string? failurePolicy = null, JsonObject? status = null)
    {
        var spec = new JsonObject
        {
            ["completions"] = completions,
            ["parallelism"] = parallelism,
            ["backoffLimit"] = backoffLimit,
            ["suspend"] = suspend,
            ["template"] = new JsonObject { ["spec"] = new JsonObject { ["restartPolicy"] = "Never" } },
        };
        if (deadline is not null)
        {
            spec["activeDeadlineSeconds"] = deadline;
        }
        if (ttl is not null)
        {
            spec["ttlSecondsAfterFinished"] = ttl;
        }
        if (failurePolicy is not null)
        {
            spec["podFailurePolicy"] = JsonNode.Parse(failurePolicy);
        }
        var job = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "j", ["namespace"] = "ns", ["uid"] = "job-uid" }, ["spec"] = spec };
        if (status is not null)
        {
            job["status"] = status;
        }
        return job;
    }

    private static JsonObject Started(TimeSpan ago) => new() { ["startTime"] = Time(Now - ago) };

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static PodObservation Pod(string name, string phase, int? exitCode = null, bool deleting = false, TimeSpan? startedAgo = null,
        TimeSpan? finishedAgo = null, bool ready = false, string container = "main") => new(
        "uid-" + name, name, phase, deleting, ready, Now.AddMinutes(-10),
        startedAgo is { } s ? Now - s : null,
        finishedAgo is { } f ? Now - f : exitCode is null ? null : Now,
        0, null,
        exitCode is { } code ? [new ContainerExit(container, code, Init: false)] : [],
        new Dictionary<string, string>());

    private static JobPlan Plan(JsonObject job, params PodObservation[] pods) => JobPlanner.Plan(job, pods, JobLedger.Seed(job, []), NoBackoff, Now);

    private static JsonObject? Condition(JobPlan plan, string type) =>
        (plan.Status["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type);

    private static string? Reason(JobPlan plan, string type) => Condition(plan, type) is { } c && c["status"]!.GetValue<string>() == "True" ? c["reason"]!.GetValue<string>() : null;

    [Fact]
    public void NewJob_CreatesOnePod_StartsTheClock()
    {
        var plan = Plan(Job());

        plan.PodsToCreate.Should().Be(1);
        plan.Status["startTime"]!.GetValue<string>().Should().Be(Time(Now));
        plan.Status["active"]!.GetValue<int>().Should().Be(1);
        plan.Status["ready"]!.GetValue<int>().Should().Be(0);
        plan.Status["terminating"]!.GetValue<int>().Should().Be(0);
        plan.Status["conditions"].Should().BeNull();
    }

    [Theory]
    [InlineData(1, 1, 0, 0, 1)]
    [InlineData(1, 3, 1, 0, 1)]
    [InlineData(2, 5, 1, 1, 1)]
    [InlineData(3, 3, 0, 3, 0)]
    [InlineData(2, 5, 4, 0, 1)]
    [InlineData(4, 4, 0, 0, 4)]
    public void ActivePods_AreMinOfParallelismAndRemainingCompletions(int parallelism, int completions, int succeeded, int running, int create)
    {
        var pods = Enumerable.Range(0, succeeded).Select(i => Pod($"s{i}", "Succeeded", 0))
            .Concat(Enumerable.Range(0, running).Select(i => Pod($"r{i}", "Running", startedAgo: TimeSpan.FromSeconds(1))))
            .ToArray();

        var plan = Plan(Job(completions, parallelism, status: Started(TimeSpan.FromMinutes(1))), pods);

        plan.PodsToCreate.Should().Be(create);
        plan.PodsToDelete.Should().BeEmpty();
    }

    [Fact]
    public void LastCompletion_SetsSuccessCriteriaMetThenComplete_WithCompletionTime()
    {
        var plan = Plan(Job(status: Started(TimeSpan.FromMinutes(1))), Pod("a", "Succeeded", 0));

        Reason(plan, "SuccessCriteriaMet").Should().Be("CompletionsReached");
        Reason(plan, "Complete").Should().Be("CompletionsReached");
        Condition(plan, "Complete")!["message"]!.GetValue<string>().Should().Be("Reached expected number of succeeded pods");
        plan.Status["completionTime"]!.GetValue<string>().Should().Be(Time(Now));
        plan.Status["succeeded"]!.GetValue<int>().Should().Be(1);
        plan.Status["active"].Should().BeNull("zero counts are left out, as the API server does");
        plan.PodsToCreate.Should().Be(0);
    }

    [Fact]
    public void Success_WaitsForTerminatingPods_BeforeComplete()
    {
        var plan = Plan(Job(completions: 1, parallelism: 2, status: Started(TimeSpan.FromMinutes(1))),
            Pod("a", "Succeeded", 0), Pod("b", "Running", deleting: true, startedAgo: TimeSpan.FromSeconds(30)));

        Reason(plan, "SuccessCriteriaMet").Should().Be("CompletionsReached");
        Condition(plan, "Complete").Should().BeNull();
        plan.Status["terminating"]!.GetValue<int>().Should().Be(1);
    }

    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(1, 1, false)]
    [InlineData(1, 2, true)]
    public void FailedPods_BeyondBackoffLimit_FailTheJob(int backoffLimit, int failedPods, bool fails)
    {
        var pods = Enumerable.Range(0, failedPods).Select(i => Pod($"f{i}", "Failed", 3)).ToArray();

        var plan = Plan(Job(backoffLimit: backoffLimit, status: Started(TimeSpan.FromMinutes(1))), pods);

        Reason(plan, "FailureTarget").Should().Be(fails ? "BackoffLimitExceeded" : null);
        Reason(plan, "Failed").Should().Be(fails ? "BackoffLimitExceeded" : null);
        plan.PodsToCreate.Should().Be(fails ? 0 : 1);
        plan.Status["failed"]!.GetValue<int>().Should().Be(failedPods);
        plan.Status["completionTime"].Should().BeNull();
    }

    [Fact]
    public void Failure_WithAPodStillRunning_DeletesIt_AndWaitsBeforeFailed()
    {
        var plan = Plan(Job(completions: 2, parallelism: 2, backoffLimit: 0, status: Started(TimeSpan.FromMinutes(1))),
            Pod("bad", "Failed", 1), Pod("busy", "Running", startedAgo: TimeSpan.FromSeconds(5)));

        Reason(plan, "FailureTarget").Should().Be("BackoffLimitExceeded");
        Condition(plan, "Failed").Should().BeNull("a pod still runs");
        plan.PodsToDelete.Should().Equal("busy");
    }

    [Theory]
    [InlineData(3, false, 10)]
    [InlineData(10, true, 0)]
    public void FailedPod_IsReplacedAfterTheBackoffDelay(int secondsSinceFailure, bool replaced, int recheckInSeconds)
    {
        var job = Job(backoffLimit: 3, status: Started(TimeSpan.FromMinutes(1)));
        var pods = new[] { Pod("f", "Failed", 1, finishedAgo: TimeSpan.FromSeconds(secondsSinceFailure)) };

        var plan = JobPlanner.Plan(job, pods, JobLedger.Seed(job, []), TimeSpan.FromSeconds(10), Now);

        plan.PodsToCreate.Should().Be(replaced ? 1 : 0);
        if (!replaced)
        {
            plan.RecheckAt.Should().Be(Now.AddSeconds(recheckInSeconds - secondsSinceFailure));
        }
    }

    [Fact]
    public void SecondFailure_DoublesTheBackoff()
    {
        var job = Job(backoffLimit: 3, status: Started(TimeSpan.FromMinutes(1)));
        var pods = new[] { Pod("f1", "Failed", 1, finishedAgo: TimeSpan.FromSeconds(40)), Pod("f2", "Failed", 1, finishedAgo: TimeSpan.FromSeconds(5)) };

        var plan = JobPlanner.Plan(job, pods, JobLedger.Seed(job, []), TimeSpan.FromSeconds(10), Now);

        plan.PodsToCreate.Should().Be(0);
        plan.RecheckAt.Should().Be(Now.AddSeconds(15));
    }

    [Fact]
    public void DeadlinePassed_StopsActivePodsThroughTheirOwnDeadline()
    {
        var plan = Plan(Job(completions: 2, parallelism: 2, deadline: 5, status: Started(TimeSpan.FromSeconds(5))),
            Pod("running", "Running", startedAgo: TimeSpan.FromSeconds(4)), Pod("unseen", "Pending"));

        Reason(plan, "FailureTarget").Should().Be("DeadlineExceeded");
        Condition(plan, "FailureTarget")!["message"]!.GetValue<string>().Should().Be("Job was active longer than specified deadline");
        Condition(plan, "Failed").Should().BeNull("the pods have not stopped yet");
        plan.PodsToStop.Should().Equal(new PodDeadline("running", 4), new PodDeadline("unseen", 600));
        plan.PodsToDelete.Should().BeEmpty();
    }

    [Fact]
    public void DeadlineAhead_RechecksWhenItPasses()
    {
        var plan = Plan(Job(deadline: 30, status: Started(TimeSpan.FromSeconds(10))), Pod("a", "Running", startedAgo: TimeSpan.FromSeconds(9)));

        Condition(plan, "FailureTarget").Should().BeNull();
        plan.RecheckAt.Should().Be(Now.AddSeconds(20));
    }

    [Theory]
    [InlineData("""{"rules":[{"action":"FailJob","onExitCodes":{"operator":"In","values":[42]}}]}""", 42, "PodFailurePolicy", 1, 0)]
    [InlineData("""{"rules":[{"action":"FailJob","onExitCodes":{"operator":"In","values":[42]}}]}""", 1, null, 1, 1)]
    [InlineData("""{"rules":[{"action":"FailJob","onExitCodes":{"operator":"NotIn","values":[1,2]}}]}""", 7, "PodFailurePolicy", 1, 0)]
    [InlineData("""{"rules":[{"action":"FailJob","onExitCodes":{"containerName":"sidecar","operator":"In","values":[42]}}]}""", 42, null, 1, 1)]
    [InlineData("""{"rules":[{"action":"Ignore","onExitCodes":{"operator":"In","values":[137]}}]}""", 137, null, 0, 1)]
    [InlineData("""{"rules":[{"action":"Count","onExitCodes":{"operator":"In","values":[42]}},{"action":"FailJob","onExitCodes":{"operator":"In","values":[42]}}]}""", 42, null, 1, 1)]
    public void PodFailurePolicy_FirstMatchingRuleDecides(string policy, int exitCode, string? failureReason, int failed, int create)
    {
        var plan = Plan(Job(backoffLimit: 5, failurePolicy: policy, status: Started(TimeSpan.FromMinutes(1))), Pod("p", "Failed", exitCode));

        Reason(plan, "Failed").Should().Be(failureReason);
        (plan.Status["failed"]?.GetValue<int>() ?? 0).Should().Be(failed);
        plan.PodsToCreate.Should().Be(create);
        if (failureReason is not null)
        {
            Condition(plan, "Failed")!["message"]!.GetValue<string>().Should().Be($"Container main for pod ns/p failed with exit code {exitCode} matching FailJob rule at index 0");
        }
    }

    [Fact]
    public void CountedPodsThatAreDeleted_KeepTheirCounts()
    {
        var job = Job(completions: 3, status: Started(TimeSpan.FromMinutes(1)));
        var first = JobPlanner.Plan(job, [Pod("a", "Succeeded", 0)], JobLedger.Seed(job, []), NoBackoff, Now);

        var second = JobPlanner.Plan(job, [], first.Ledger, NoBackoff, Now);

        second.Status["succeeded"]!.GetValue<int>().Should().Be(1);
        second.PodsToCreate.Should().Be(1);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    public void PodDeletedBeforeItFinished_CountsAsFailed_UnlessTheJobIsSuspended(bool suspend, int failed)
    {
        var job = Job(suspend: suspend, status: Started(TimeSpan.FromMinutes(1)));
        var ledger = JobLedger.Seed(job, []) with { Departed = [Pod("gone", "Running", startedAgo: TimeSpan.FromSeconds(3))] };

        var plan = JobPlanner.Plan(job, [], ledger, NoBackoff, Now);

        (plan.Status["failed"]?.GetValue<int>() ?? 0).Should().Be(failed);
    }

    [Fact]
    public void Suspended_DeletesActivePods_SetsSuspended_ResumeRestartsTheClock()
    {
        var suspended = Plan(Job(suspend: true, status: Started(TimeSpan.FromMinutes(1))), Pod("a", "Running", startedAgo: TimeSpan.FromSeconds(30)));
        var resumed = Plan(Job(status: suspended.Status));

        suspended.PodsToDelete.Should().Equal("a");
        Reason(suspended, "Suspended").Should().Be("JobSuspended");
        Condition(resumed, "Suspended")!["status"]!.GetValue<string>().Should().Be("False");
        Condition(resumed, "Suspended")!["reason"]!.GetValue<string>().Should().Be("JobResumed");
        resumed.PodsToCreate.Should().Be(1);
    }

    [Theory]
    [InlineData(60, 30, false)]
    [InlineData(60, 60, true)]
    public void FinishedJob_IsDeletedWhenItsTimeToLiveIsOver(int ttl, int secondsSinceFinish, bool delete)
    {
        var finished = Plan(Job(ttl: ttl, status: Started(TimeSpan.FromMinutes(5))), Pod("a", "Succeeded", 0)).Status;
        var job = Job(ttl: ttl, status: finished);

        var plan = JobPlanner.Plan(job, [], JobLedger.Seed(job, []), NoBackoff, Now.AddSeconds(secondsSinceFinish));

        plan.DeleteJob.Should().Be(delete);
        plan.RecheckAt.Should().Be(delete ? null : Now.AddSeconds(ttl));
        JsonNode.DeepEquals(plan.Status, finished).Should().BeTrue("a finished Job's status does not change");
    }

    [Fact]
    public void UnchangedConditions_KeepTheirTransitionTime()
    {
        var first = Plan(Job(completions: 1, parallelism: 2, status: Started(TimeSpan.FromMinutes(1))),
            Pod("a", "Succeeded", 0), Pod("b", "Running", deleting: true, startedAgo: TimeSpan.FromSeconds(3)));
        var job = Job(completions: 1, parallelism: 2, status: first.Status);

        var later = JobPlanner.Plan(job, [Pod("a", "Succeeded", 0)], first.Ledger, NoBackoff, Now.AddSeconds(30));

        Condition(later, "SuccessCriteriaMet")!["lastTransitionTime"]!.GetValue<string>().Should().Be(Time(Now));
        Condition(later, "Complete")!["lastTransitionTime"]!.GetValue<string>().Should().Be(Time(Now.AddSeconds(30)));
    }
}
