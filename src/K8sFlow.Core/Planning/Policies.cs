using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Planning;

/// <summary>One task's scheduling settings, the Dag's <c>defaults</c> applied (a task's own fields win).</summary>
public sealed record TaskPolicy(
    TriggerRule TriggerRule,
    bool IsBranch,
    int Retries,
    TimeSpan RetryDelay,
    bool RetryExponentialBackoff,
    TimeSpan? MaxRetryDelay,
    TimeSpan? ExecutionTimeout)
{
    public const string ContainerType = "container";
    public const string BranchType = "branch";
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(300);
    /// <summary>Airflow's MAX_RETRY_DELAY: no backoff waits longer than a day.</summary>
    public static readonly TimeSpan RetryDelayCeiling = TimeSpan.FromHours(24);

    public static TaskPolicy Default { get; } = new(TriggerRules.Default, false, 0, DefaultRetryDelay, false, null, null);

    /// <summary>Failed try <paramref name="tryNumber"/> (counting from 1) is retried when tryNumber &lt;= retries (spec §6).</summary>
    public bool MayRetry(int tryNumber) => tryNumber <= Retries;

    /// <summary>
    /// The wait between the end of failed try <paramref name="failedTry"/> and the next one (spec §6).
    /// With exponential backoff: base = ceil(delay * 2^(try-1)) s (at least 1), wait = base + hash mod base,
    /// so in [base, 2*base), deterministic per (dag, task, logical date, try); capped at 24 h and maxRetryDelay.
    /// </summary>
    public TimeSpan RetryWait(int failedTry, string dagName, string taskName, DateTimeOffset? logicalDate)
    {
        if (!RetryExponentialBackoff)
        {
            return RetryDelay;
        }
        var ceiling = (long)RetryDelayCeiling.TotalSeconds;
        var exact = Math.Ceiling(RetryDelay.TotalSeconds * Math.Pow(2, failedTry - 1));
        long seconds;
        if (exact >= ceiling)
        {
            seconds = ceiling; // base alone reaches the cap (and 2^try may overflow a long)
        }
        else
        {
            var baseSeconds = Math.Max(1L, (long)exact);
            var jitter = (long)(StableHash($"{dagName}#{taskName}#{(logicalDate is { } d ? Names.FormatIso(d) : "")}#{failedTry}") % (ulong)baseSeconds);
            seconds = Math.Min(baseSeconds + jitter, ceiling);
        }
        var wait = TimeSpan.FromSeconds(seconds);
        return MaxRetryDelay is { } max && max < wait ? max : wait;
    }

    // SHA-256, not string.GetHashCode: the wait must be the same in every process and on every platform.
    private static ulong StableHash(string text) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Resolves <paramref name="task"/>'s settings; errors name the task, the field and the accepted values.</summary>
    public static TaskPolicyResult Resolve(DagSpec dag, TaskSpec task)
    {
        var errors = new List<string>();
        var defaults = dag.Defaults;
        var where = $"task '{task.Name}'";

        if (!TriggerRules.TryParse(task.TriggerRule, out var rule, out var ruleError))
        {
            errors.Add($"{where}: triggerRule: {ruleError}");
        }
        var isBranch = false;
        switch (task.Type)
        {
            case null or "" or ContainerType: break;
            case BranchType: isBranch = true; break;
            default: errors.Add($"{where}: type: unknown type '{task.Type}'; expected {ContainerType} or {BranchType}"); break;
        }
        var retries = task.Retries ?? defaults?.Retries ?? 0;
        if (retries < 0)
        {
            errors.Add($"{where}: retries: {retries.ToString(CultureInfo.InvariantCulture)} is negative; expected 0 or more");
        }
        var delay = Duration("retryDelay", task.RetryDelay ?? defaults?.RetryDelay) ?? DefaultRetryDelay;
        var maxDelay = Duration("maxRetryDelay", task.MaxRetryDelay ?? defaults?.MaxRetryDelay);
        var timeout = Duration("executionTimeout", task.ExecutionTimeout ?? defaults?.ExecutionTimeout);
        if (timeout == TimeSpan.Zero)
        {
            errors.Add($"{where}: executionTimeout: must be longer than 0s");
        }
        var backoff = task.RetryExponentialBackoff ?? defaults?.RetryExponentialBackoff ?? false;

        return errors.Count > 0
            ? new TaskPolicyResult(null, errors)
            : new TaskPolicyResult(new TaskPolicy(rule, isBranch, retries, delay, backoff, maxDelay, timeout), []);

        TimeSpan? Duration(string field, string? text)
        {
            if (text is null)
            {
                return null;
            }
            if (Durations.TryParse(text, out var value))
            {
                return value;
            }
            errors.Add($"{where}: {field}: '{text}' is not a duration; expected e.g. 30s, 5m, 1h30m, 2d");
            return null;
        }
    }
}

/// <summary>A resolved <see cref="TaskPolicy"/>, or the errors that prevent it.</summary>
public sealed record TaskPolicyResult(TaskPolicy? Policy, IReadOnlyList<string> Errors);

/// <summary>Run-wide limits of a Dag spec (spec §1.6, §3, §11).</summary>
public sealed record RunPolicy(int MaxActiveTasksPerRun, TimeSpan? DagrunTimeout, bool FailFast)
{
    public const int DefaultMaxActiveTasksPerRun = 16;

    public static RunPolicyResult Resolve(DagSpec dag)
    {
        var errors = new List<string>();
        var maxActive = dag.MaxActiveTasksPerRun ?? DefaultMaxActiveTasksPerRun;
        if (maxActive < 1)
        {
            errors.Add($"maxActiveTasksPerRun: {maxActive.ToString(CultureInfo.InvariantCulture)} is too small; expected 1 or more");
        }
        TimeSpan? dagrunTimeout = null;
        if (dag.DagrunTimeout is { } text)
        {
            if (Durations.TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                dagrunTimeout = value;
            }
            else
            {
                errors.Add($"dagrunTimeout: '{text}' is not a positive duration; expected e.g. 30m, 2h, 1d");
            }
        }
        return errors.Count > 0
            ? new RunPolicyResult(null, errors)
            : new RunPolicyResult(new RunPolicy(maxActive, dagrunTimeout, dag.FailFast ?? false), []);
    }
}

/// <summary>A resolved <see cref="RunPolicy"/>, or the errors that prevent it.</summary>
public sealed record RunPolicyResult(RunPolicy? Policy, IReadOnlyList<string> Errors);
