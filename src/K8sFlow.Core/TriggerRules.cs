namespace K8sFlow.Core;

/// <summary>
/// Airflow's trigger rule names (spec §4): the one list of accepted <c>triggerRule</c> values.
/// The run planner evaluates them; validation accepts exactly these.
/// </summary>
public static class TriggerRules
{
    public const string AllSuccess = "all_success";
    public const string AllFailed = "all_failed";
    public const string AllDone = "all_done";
    public const string AllDoneMinOneSuccess = "all_done_min_one_success";
    public const string AllSkipped = "all_skipped";
    public const string OneSuccess = "one_success";
    public const string OneFailed = "one_failed";
    public const string OneDone = "one_done";
    public const string NoneFailed = "none_failed";
    public const string NoneFailedMinOneSuccess = "none_failed_min_one_success";
    public const string NoneSkipped = "none_skipped";
    public const string Always = "always";

    /// <summary>An absent trigger rule means all_success.</summary>
    public const string Default = AllSuccess;

    public static readonly IReadOnlyList<string> Names =
    [
        AllSuccess, AllFailed, AllDone, AllDoneMinOneSuccess, AllSkipped, OneSuccess,
        OneFailed, OneDone, NoneFailed, NoneFailedMinOneSuccess, NoneSkipped, Always,
    ];

    public static bool IsKnown(string? rule) => rule is null || Names.Contains(rule);

    /// <summary>The task's rule, with the default filled in.</summary>
    public static string Of(Api.TaskSpec task) => task.TriggerRule ?? Default;
}
