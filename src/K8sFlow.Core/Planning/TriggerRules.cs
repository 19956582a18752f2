using System.Diagnostics.CodeAnalysis;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Planning;

/// <summary>Airflow's trigger rules (spec §4); written in manifests with Airflow's snake_case names.</summary>
public enum TriggerRule
{
    AllSuccess,
    AllFailed,
    AllDone,
    AllDoneMinOneSuccess,
    AllSkipped,
    OneSuccess,
    OneFailed,
    OneDone,
    NoneFailed,
    NoneFailedMinOneSuccess,
    NoneSkipped,
    Always,
}

/// <summary>What a task in state <c>none</c> does given its upstreams' states.</summary>
public enum TriggerDecision
{
    /// <summary>Not decidable yet: stays <c>none</c>.</summary>
    Wait,
    /// <summary>Dependencies met: becomes <c>scheduled</c>.</summary>
    Run,
    Skip,
    UpstreamFail,
}

/// <summary>
/// Counts over a task's direct upstream task instances (spec §4): S success, K skipped, F failed,
/// UF upstream_failed, D finished (including removed), N upstream count.
/// </summary>
public readonly record struct UpstreamCounts(int Success, int Skipped, int Failed, int UpstreamFailed, int Done, int Total)
{
    public static UpstreamCounts Of(IEnumerable<TaskState> upstreamStates)
    {
        int s = 0, k = 0, f = 0, uf = 0, d = 0, n = 0;
        foreach (var state in upstreamStates)
        {
            n++;
            switch (state)
            {
                case TaskState.Success: s++; break;
                case TaskState.Skipped: k++; break;
                case TaskState.Failed: f++; break;
                case TaskState.UpstreamFailed: uf++; break;
            }
            if (state.IsFinished())
            {
                d++;
            }
        }
        return new UpstreamCounts(s, k, f, uf, d, n);
    }
}

public static class TriggerRules
{
    public const TriggerRule Default = TriggerRule.AllSuccess;

    private static readonly (TriggerRule Rule, string Name)[] All =
    [
        (TriggerRule.AllSuccess, "all_success"),
        (TriggerRule.AllFailed, "all_failed"),
        (TriggerRule.AllDone, "all_done"),
        (TriggerRule.AllDoneMinOneSuccess, "all_done_min_one_success"),
        (TriggerRule.AllSkipped, "all_skipped"),
        (TriggerRule.OneSuccess, "one_success"),
        (TriggerRule.OneFailed, "one_failed"),
        (TriggerRule.OneDone, "one_done"),
        (TriggerRule.NoneFailed, "none_failed"),
        (TriggerRule.NoneFailedMinOneSuccess, "none_failed_min_one_success"),
        (TriggerRule.NoneSkipped, "none_skipped"),
        (TriggerRule.Always, "always"),
    ];

    /// <summary>The accepted names, in the order of spec §4.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(r => r.Name)];

    /// <summary>Airflow's name of a rule, e.g. <c>none_failed_min_one_success</c>.</summary>
    public static string ToName(this TriggerRule rule) => All[(int)rule].Name;

    /// <summary>
    /// Parses Airflow's name; absent (null or empty) means <c>all_success</c>. On failure
    /// <paramref name="error"/> names the value and lists the accepted names (the caller adds file/dag/task).
    /// </summary>
    public static bool TryParse(string? name, out TriggerRule rule, [NotNullWhen(false)] out string? error)
    {
        rule = Default;
        error = null;
        if (string.IsNullOrEmpty(name))
        {
            return true;
        }
        foreach (var (candidate, candidateName) in All)
        {
            if (string.Equals(candidateName, name, StringComparison.Ordinal))
            {
                rule = candidate;
                return true;
            }
        }
        error = $"unknown trigger rule '{name}'; expected one of: {string.Join(", ", Names)}";
        return false;
    }

    /// <summary>
    /// The table of spec §4, the one place the rules live. Tasks without upstreams always run
    /// (Airflow skips the trigger-rule check for them). Early moves ("-&gt;" columns) apply before all
    /// upstreams finish; upstream_failed counts as a failure.
    /// </summary>
    public static TriggerDecision Evaluate(TriggerRule rule, UpstreamCounts c)
    {
        if (c.Total == 0)
        {
            return TriggerDecision.Run;
        }
        var allDone = c.Done == c.Total;
        var failures = c.Failed + c.UpstreamFailed;
        return rule switch
        {
            TriggerRule.AllSuccess =>
                failures > 0 ? TriggerDecision.UpstreamFail
                : c.Skipped > 0 ? TriggerDecision.Skip
                : c.Success == c.Total ? TriggerDecision.Run
                : TriggerDecision.Wait,
            TriggerRule.AllFailed =>
                c.Success + c.Skipped > 0 ? TriggerDecision.Skip
                : failures == c.Total ? TriggerDecision.Run
                : TriggerDecision.Wait,
            TriggerRule.AllDone =>
                allDone ? TriggerDecision.Run : TriggerDecision.Wait,
            TriggerRule.AllDoneMinOneSuccess =>
                c.Skipped > 0 ? TriggerDecision.Skip
                : !allDone ? TriggerDecision.Wait
                : c.Success >= 1 ? TriggerDecision.Run
                : TriggerDecision.UpstreamFail,
            TriggerRule.AllSkipped =>
                c.Success + failures > 0 ? TriggerDecision.Skip
                : c.Skipped == c.Total ? TriggerDecision.Run
                : TriggerDecision.Wait,
            TriggerRule.OneSuccess =>
                c.Success >= 1 ? TriggerDecision.Run
                : !allDone ? TriggerDecision.Wait
                : c.Skipped == c.Total ? TriggerDecision.Skip
                : TriggerDecision.UpstreamFail,
            TriggerRule.OneFailed =>
                failures >= 1 ? TriggerDecision.Run
                : allDone ? TriggerDecision.Skip
                : TriggerDecision.Wait,
            TriggerRule.OneDone =>
                c.Success + c.Failed >= 1 ? TriggerDecision.Run
                : allDone ? TriggerDecision.Skip
                : TriggerDecision.Wait,
            TriggerRule.NoneFailed =>
                failures > 0 ? TriggerDecision.UpstreamFail
                : c.Success + c.Skipped == c.Total ? TriggerDecision.Run
                : TriggerDecision.Wait,
            TriggerRule.NoneFailedMinOneSuccess =>
                failures > 0 ? TriggerDecision.UpstreamFail
                : c.Skipped == c.Total ? TriggerDecision.Skip
                : c.Success + c.Skipped == c.Total ? TriggerDecision.Run
                : TriggerDecision.Wait,
            TriggerRule.NoneSkipped =>
                c.Skipped > 0 ? TriggerDecision.Skip
                : allDone ? TriggerDecision.Run
                : TriggerDecision.Wait,
            TriggerRule.Always => TriggerDecision.Run,
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "unknown trigger rule"),
        };
    }

    /// <summary>
    /// Whether an upstream in <paramref name="state"/> helped cause <paramref name="decision"/> under
    /// <paramref name="rule"/>: those upstreams are named in the skipped/upstream_failed reason.
    /// </summary>
    public static bool IsCause(TriggerRule rule, TriggerDecision decision, TaskState state)
    {
        var failed = state is TaskState.Failed or TaskState.UpstreamFailed;
        return decision switch
        {
            TriggerDecision.Skip => rule switch
            {
                TriggerRule.AllFailed => state is TaskState.Success or TaskState.Skipped,
                TriggerRule.AllSkipped => state is TaskState.Success || failed,
                // "nothing failed / nothing ran": every upstream is part of the answer.
                TriggerRule.OneFailed or TriggerRule.OneDone => state.IsFinished(),
                _ => state is TaskState.Skipped,
            },
            TriggerDecision.UpstreamFail => rule is TriggerRule.OneSuccess ? state.IsFinished() : failed,
            _ => false,
        };
    }
}
