using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Planning.TriggerDecision;
using static K8sFlow.Core.Planning.TriggerRule;

namespace K8sFlow.Core.Tests.Planning;

public class TriggerRulesTests
{
    /// <summary>
    /// Spec §4, row by row: upstream counts (S success, K skipped, F failed, UF upstream_failed, P still
    /// unfinished; N = S+K+F+UF+P) and the decision. Rows with P &gt; 0 and a final decision are the early moves.
    /// </summary>
    public static TheoryData<TriggerRule, int, int, int, int, int, TriggerDecision> Table => new()
    {
        // all_success: runs when S = N; skipped when K > 0; upstream_failed when F + UF > 0, checked first
        { AllSuccess, 2, 0, 0, 0, 0, Run },
        { AllSuccess, 1, 0, 0, 0, 1, Wait },
        { AllSuccess, 1, 1, 0, 0, 1, Skip },
        { AllSuccess, 1, 0, 1, 0, 1, UpstreamFail },
        { AllSuccess, 0, 0, 0, 1, 1, UpstreamFail },
        { AllSuccess, 0, 1, 1, 0, 0, UpstreamFail },
        // all_failed: runs when F + UF = N; skipped when S + K > 0
        { AllFailed, 0, 0, 2, 0, 0, Run },
        { AllFailed, 0, 0, 1, 1, 0, Run },
        { AllFailed, 0, 0, 1, 0, 1, Wait },
        { AllFailed, 1, 0, 1, 0, 1, Skip },
        { AllFailed, 0, 1, 0, 0, 1, Skip },
        // all_done: runs when D = N; never skipped or upstream_failed
        { AllDone, 1, 1, 1, 1, 0, Run },
        { AllDone, 0, 0, 2, 0, 0, Run },
        { AllDone, 1, 1, 1, 0, 1, Wait },
        // all_done_min_one_success: runs when D = N, K = 0, S >= 1; skipped when K > 0; upstream_failed when all done and S = 0
        { AllDoneMinOneSuccess, 1, 0, 1, 0, 0, Run },
        { AllDoneMinOneSuccess, 1, 0, 0, 0, 1, Wait },
        { AllDoneMinOneSuccess, 0, 0, 1, 0, 1, Wait },
        { AllDoneMinOneSuccess, 0, 1, 0, 0, 1, Skip },
        { AllDoneMinOneSuccess, 1, 1, 0, 0, 0, Skip },
        { AllDoneMinOneSuccess, 0, 0, 1, 1, 0, UpstreamFail },
        // all_skipped: runs when K = N; skipped when S + F + UF > 0
        { AllSkipped, 0, 2, 0, 0, 0, Run },
        { AllSkipped, 0, 1, 0, 0, 1, Wait },
        { AllSkipped, 1, 0, 0, 0, 1, Skip },
        { AllSkipped, 0, 1, 0, 1, 0, Skip },
        // one_success: runs when S >= 1 without waiting; skipped when all done and all skipped; upstream_failed when all done and S = 0
        { OneSuccess, 1, 0, 0, 0, 2, Run },
        { OneSuccess, 0, 0, 1, 0, 1, Wait },
        { OneSuccess, 0, 2, 0, 0, 0, Skip },
        { OneSuccess, 0, 1, 1, 0, 0, UpstreamFail },
        { OneSuccess, 0, 0, 0, 1, 0, UpstreamFail },
        // one_failed: runs when F + UF >= 1 without waiting; skipped when all done and F + UF = 0
        { OneFailed, 0, 0, 1, 0, 2, Run },
        { OneFailed, 0, 0, 0, 1, 1, Run },
        { OneFailed, 1, 0, 0, 0, 1, Wait },
        { OneFailed, 1, 1, 0, 0, 0, Skip },
        // one_done: runs when S + F >= 1 without waiting; skipped when all done and S + F = 0
        { OneDone, 1, 0, 0, 0, 2, Run },
        { OneDone, 0, 0, 1, 0, 1, Run },
        { OneDone, 0, 1, 0, 0, 1, Wait },
        { OneDone, 0, 1, 0, 1, 0, Skip },
        // none_failed: runs when S + K = N; upstream_failed when F + UF > 0
        { NoneFailed, 1, 1, 0, 0, 0, Run },
        { NoneFailed, 0, 2, 0, 0, 0, Run },
        { NoneFailed, 1, 0, 0, 0, 1, Wait },
        { NoneFailed, 1, 0, 1, 0, 1, UpstreamFail },
        { NoneFailed, 0, 0, 0, 1, 0, UpstreamFail },
        // none_failed_min_one_success: runs when S + K = N and not all skipped; skipped when K = N; upstream_failed when F + UF > 0
        { NoneFailedMinOneSuccess, 1, 1, 0, 0, 0, Run },
        { NoneFailedMinOneSuccess, 0, 2, 0, 0, 0, Skip },
        { NoneFailedMinOneSuccess, 0, 1, 0, 0, 1, Wait },
        { NoneFailedMinOneSuccess, 0, 1, 1, 0, 1, UpstreamFail },
        { NoneFailedMinOneSuccess, 1, 0, 0, 1, 0, UpstreamFail },
        // none_skipped: runs when D = N and K = 0; skipped when K > 0
        { NoneSkipped, 1, 0, 1, 1, 0, Run },
        { NoneSkipped, 1, 0, 0, 0, 1, Wait },
        { NoneSkipped, 0, 1, 0, 0, 1, Skip },
        // always: immediately
        { Always, 0, 0, 0, 0, 3, Run },
        { Always, 0, 1, 1, 0, 0, Run },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Evaluate_FollowsSpecTable(TriggerRule rule, int s, int k, int f, int uf, int pending, TriggerDecision expected)
    {
        var counts = new UpstreamCounts(s, k, f, uf, Done: s + k + f + uf, Total: s + k + f + uf + pending);

        TriggerRules.Evaluate(rule, counts).Should().Be(expected);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Plan_AppliesTriggerRuleToTaskState(TriggerRule rule, int s, int k, int f, int uf, int pending, TriggerDecision expected)
    {
        // Upstreams u0..un are put straight into the wanted states; "t" depends on all of them.
        var states = Enumerable.Repeat(TaskState.Success, s)
            .Concat(Enumerable.Repeat(TaskState.Skipped, k))
            .Concat(Enumerable.Repeat(TaskState.Failed, f))
            .Concat(Enumerable.Repeat(TaskState.UpstreamFailed, uf))
            .Concat(Enumerable.Repeat(TaskState.Running, pending))
            .ToList();
        var upstream = states.Select((_, i) => $"u{i}").ToArray();
        var spec = Specs.Dag([.. upstream.Select(u => Specs.Task(u)), Specs.Task("t", upstream).Rule(rule.ToName())]);
        var harness = new PlanHarness(spec)
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = Specs.T0,
                Tasks = [.. states.Select((state, i) => new TaskInstanceStatus
                {
                    Name = upstream[i],
                    State = state,
                    TryNumber = state == TaskState.Running ? 1 : 0,
                    Job = state == TaskState.Running ? $"job-{upstream[i]}" : null,
                })],
            },
        };
        for (var i = 0; i < states.Count; i++)
        {
            if (states[i] == TaskState.Running)
            {
                harness.AddJob(new TaskExecution(upstream[i], 1, $"job-{upstream[i]}", ExecutionPhase.Running, Specs.T0));
            }
        }

        harness.Step();

        harness.State("t").Should().Be(expected switch
        {
            Run => TaskState.Queued,
            Skip => TaskState.Skipped,
            UpstreamFail => TaskState.UpstreamFailed,
            _ => TaskState.None,
        });
        var reason = harness.Task("t").Reason;
        if (expected is Skip or UpstreamFail)
        {
            reason.Should().StartWith($"trigger rule {rule.ToName()}: upstream u");
        }
        else if (expected == Wait)
        {
            reason.Should().StartWith("waiting for upstream: u");
        }
    }

    [Fact]
    public void Evaluate_TaskWithoutUpstreams_AlwaysRuns()
    {
        Enum.GetValues<TriggerRule>()
            .Select(rule => TriggerRules.Evaluate(rule, new UpstreamCounts(0, 0, 0, 0, 0, 0)))
            .Should().AllBeEquivalentTo(Run);
    }

    /// <summary>Every rule with every mix of up to 3 finished upstreams per state and up to 2 more finishing later per state.</summary>
    private static IEnumerable<(TriggerRule Rule, UpstreamCounts Now, UpstreamCounts Later)> AllCombinations()
    {
        var finished = Enumerable.Range(0, 4);
        var later = Enumerable.Range(0, 3);
        return
            from rule in Enum.GetValues<TriggerRule>()
            from s in finished
            from k in finished
            from f in finished
            from uf in finished
            from ps in later
            from pk in later
            from pf in later
            from puf in later
            let done = s + k + f + uf
            let total = done + ps + pk + pf + puf
            select (rule, new UpstreamCounts(s, k, f, uf, done, total), new UpstreamCounts(s + ps, k + pk, f + pf, uf + puf, total, total));
    }

    [Fact]
    public void Evaluate_AllUpstreamsFinished_NeverWaits()
    {
        // Totality: no rule leaves a task waiting forever once its upstreams are done (no false deadlocks).
        AllCombinations()
            .Where(x => TriggerRules.Evaluate(x.Rule, x.Later) == Wait)
            .Should().BeEmpty();
    }

    [Fact]
    public void Evaluate_EarlyDecision_RunsExactlyWhenWaitingWouldHaveRun()
    {
        // An early move is safe: a task started early would also run after waiting, and a task skipped or
        // upstream_failed early would not have run (skipped vs upstream_failed may differ: the first cause wins).
        AllCombinations()
            .Where(x => TriggerRules.Evaluate(x.Rule, x.Now) is var early && early != Wait
                && (early == Run) != (TriggerRules.Evaluate(x.Rule, x.Later) == Run))
            .Should().BeEmpty();
    }

    [Fact]
    public void Evaluate_SkippedUpstreamBeforeAFailure_AllSuccessSkipsEarly()
    {
        // Decided on the first cause seen, like Airflow: the later failure does not turn the skip into upstream_failed.
        TriggerRules.Evaluate(AllSuccess, new UpstreamCounts(0, 1, 0, 0, 1, 2)).Should().Be(Skip);
        TriggerRules.Evaluate(AllSuccess, new UpstreamCounts(0, 1, 1, 0, 2, 2)).Should().Be(UpstreamFail);
    }

    [Theory]
    [InlineData(null, AllSuccess)]
    [InlineData("", AllSuccess)]
    [InlineData("all_success", AllSuccess)]
    [InlineData("none_failed_min_one_success", NoneFailedMinOneSuccess)]
    [InlineData("always", Always)]
    public void TryParse_AirflowNames(string? name, TriggerRule expected)
    {
        TriggerRules.TryParse(name, out var rule, out var error).Should().BeTrue();
        rule.Should().Be(expected);
        error.Should().BeNull();
    }

    [Theory]
    [InlineData("ALL_SUCCESS")]
    [InlineData("allSuccess")]
    [InlineData("dummy")]
    public void TryParse_UnknownName_ErrorListsAcceptedNames(string name)
    {
        TriggerRules.TryParse(name, out _, out var error).Should().BeFalse();

        error.Should().Contain($"'{name}'").And.Contain(string.Join(", ", TriggerRules.Names));
    }

    [Fact]
    public void Names_RoundTripEveryRule()
    {
        foreach (var rule in Enum.GetValues<TriggerRule>())
        {
            TriggerRules.TryParse(rule.ToName(), out var parsed, out _).Should().BeTrue();
            parsed.Should().Be(rule);
        }
        TriggerRules.Names.Should().HaveCount(12);
    }
}
