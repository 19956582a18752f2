using System.Buffers.Binary;
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

    /// <summary>
    /// Resolves every task's settings, in spec order (<c>Policies[i]</c> is <c>spec.tasks[i]</c>'s): the rules
    /// for triggerRule, type, retries and the durations, the one place both the validator and the planner use.
    /// Errors name the field where the bad value is written (<c>spec.defaults.retryDelay</c> or
    /// <c>spec.tasks[2].retryDelay</c>) and the accepted values; a field in error falls back to the default,
    /// so the policies are complete but only meaningful when there are no errors.
    /// </summary>
    public static TaskPolicyResult Resolve(DagSpec dag)
    {
        var errors = new List<FieldError>();
        var defaults = dag.Defaults is { } shared
            ? Settings.Read("spec.defaults", shared.Retries, shared.RetryDelay, shared.RetryExponentialBackoff, shared.MaxRetryDelay, shared.ExecutionTimeout, errors, task: null)
            : Settings.None;
        var policies = new TaskPolicy[dag.Tasks.Count];
        for (var i = 0; i < policies.Length; i++)
        {
            var task = dag.Tasks[i];
            var at = $"spec.tasks[{i}]";
            var name = string.IsNullOrEmpty(task.Name) ? null : task.Name;
            if (!TriggerRules.TryParse(task.TriggerRule, out var rule, out var ruleError))
            {
                errors.Add(new FieldError(at + ".triggerRule", ruleError, name));
            }
            if (!TaskTypes.TryParse(task.Type, out var isBranch, out var typeError))
            {
                errors.Add(new FieldError(at + ".type", typeError, name));
            }
            var own = Settings.Read(at, task.Retries, task.RetryDelay, task.RetryExponentialBackoff, task.MaxRetryDelay, task.ExecutionTimeout, errors, name);
            policies[i] = new TaskPolicy(
                rule,
                isBranch,
                own.Retries ?? defaults.Retries ?? 0,
                own.RetryDelay ?? defaults.RetryDelay ?? DefaultRetryDelay,
                own.RetryExponentialBackoff ?? defaults.RetryExponentialBackoff ?? false,
                own.MaxRetryDelay ?? defaults.MaxRetryDelay,
                own.ExecutionTimeout ?? defaults.ExecutionTimeout);
        }
        return new TaskPolicyResult(policies, errors);
    }

    /// <summary>The retry and timeout fields as written in one place (spec.defaults or a task); null = not set or invalid.</summary>
    private sealed record Settings(int? Retries, TimeSpan? RetryDelay, bool? RetryExponentialBackoff, TimeSpan? MaxRetryDelay, TimeSpan? ExecutionTimeout)
    {
        public static Settings None { get; } = new(null, null, null, null, null);

        public static Settings Read(string at, int? retries, string? retryDelay, bool? backoff, string? maxRetryDelay, string? executionTimeout,
            List<FieldError> errors, string? task)
        {
            FieldChecks.NotNegative(retries, at + ".retries", errors, task);
            return new Settings(
                retries >= 0 ? retries : null,
                FieldChecks.Duration(retryDelay, at + ".retryDelay", positive: false, errors, task),
                backoff,
                FieldChecks.Duration(maxRetryDelay, at + ".maxRetryDelay", positive: true, errors, task),
                FieldChecks.Duration(executionTimeout, at + ".executionTimeout", positive: true, errors, task));
        }
    }
}

/// <summary>Every task's <see cref="TaskPolicy"/> in spec order, and the errors that make the spec unusable.</summary>
public sealed record TaskPolicyResult(IReadOnlyList<TaskPolicy> Policies, IReadOnlyList<FieldError> Errors);

/// <summary>Run-wide limits of a Dag spec (spec §1.6, §3, §11).</summary>
public sealed record RunPolicy(int MaxActiveTasksPerRun, TimeSpan? DagrunTimeout, bool FailFast)
{
    public const int DefaultMaxActiveTasksPerRun = 16;

    /// <summary>Reads the run-wide fields; errors name the field (<c>spec.dagrunTimeout</c>) and the accepted values.</summary>
    public static RunPolicyResult Resolve(DagSpec dag)
    {
        var errors = new List<FieldError>();
        FieldChecks.AtLeastOne(dag.MaxActiveTasksPerRun, "spec.maxActiveTasksPerRun", errors);
        var dagrunTimeout = FieldChecks.Duration(dag.DagrunTimeout, "spec.dagrunTimeout", positive: true, errors);
        return errors.Count > 0
            ? new RunPolicyResult(null, errors)
            : new RunPolicyResult(new RunPolicy(dag.MaxActiveTasksPerRun ?? DefaultMaxActiveTasksPerRun, dagrunTimeout, dag.FailFast ?? false), []);
    }
}

/// <summary>A resolved <see cref="RunPolicy"/>, or the errors that prevent it.</summary>
public sealed record RunPolicyResult(RunPolicy? Policy, IReadOnlyList<FieldError> Errors);
