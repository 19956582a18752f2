using System.Globalization;
using K8sFlow.Core;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Hosting;

/// <summary>Lease-based leader election: with 2 replicas exactly one reconciles.</summary>
public sealed record LeaderElectionSettings
{
    public bool Enabled { get; init; } = true;
    public string LeaseName { get; init; } = "k8sflow-operator";

    /// <summary>Null: the client's default namespace (in a pod, its own).</summary>
    public string? LeaseNamespace { get; init; }

    /// <summary>Null: the host name (the pod name in a cluster) plus a random suffix.</summary>
    public string? Identity { get; init; }

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>The operator's settings (appsettings.json &lt; environment K8SFLOW_* &lt; command-line flags).</summary>
public sealed record OperatorOptions
{
    /// <summary>Namespaces to watch; empty: all namespaces (needs a ClusterRole).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Reconciles running at once (per controller).</summary>
    public int Workers { get; init; } = 4;

    /// <summary>Every cached Dag and DagRun is reconciled again this often; null: never.</summary>
    public TimeSpan? ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    public LeaderElectionSettings LeaderElection { get; init; } = new();

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Null ("auto"): JSON when running in a pod, readable console lines otherwise.</summary>
    public OperatorLogFormat? LogFormat { get; init; }

    /// <summary>Port of /metrics, /healthz and /readyz.</summary>
    public int MetricsPort { get; init; } = 8080;

    /// <summary>Scheduled runs one Dag controller pass may create during catch-up (the rest follow in later passes).</summary>
    public int MaxCatchupRunsPerPass { get; init; } = 50;

    /// <summary>Command-line flags (as the Helm chart passes them) and the configuration keys they set.</summary>
    public static IReadOnlyDictionary<string, string> FlagMappings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--namespaces"] = "Namespaces",
        ["--workers"] = "Workers",
        ["--resync-period"] = "ResyncPeriod",
        ["--leader-election"] = "LeaderElection:Enabled",
        ["--lease-name"] = "LeaderElection:LeaseName",
        ["--lease-namespace"] = "LeaderElection:LeaseNamespace",
        ["--lease-identity"] = "LeaderElection:Identity",
        ["--log-level"] = "LogLevel",
        ["--log-format"] = "LogFormat",
        ["--metrics-port"] = "MetricsPort",
        ["--max-catchup-runs"] = "MaxCatchupRunsPerPass",
    };

    /// <summary>Environment variables carry this prefix: K8SFLOW_WORKERS, K8SFLOW_LEADERELECTION__ENABLED.</summary>
    public const string EnvironmentPrefix = "K8SFLOW_";

    /// <summary>
    /// Reads the options from <paramref name="configuration"/> (keys as in <see cref="FlagMappings"/>; durations
    /// Go-style, e.g. 10m; namespaces comma-separated or a list). Every bad value is reported, naming the key
    /// and what it accepts.
    /// </summary>
    public static OperatorOptionsResult Bind(IConfiguration configuration)
    {
        var errors = new List<string>();
        var defaults = new OperatorOptions();
        var election = defaults.LeaderElection;
        var options = new OperatorOptions
        {
            Namespaces = ReadNamespaces(configuration.GetSection("Namespaces")),
            Workers = Int("Workers", defaults.Workers, min: 1),
            ResyncPeriod = configuration["ResyncPeriod"] is { Length: > 0 } resync
                ? Duration("ResyncPeriod", resync, allowZero: true) is { } period && period > TimeSpan.Zero ? period : null
                : defaults.ResyncPeriod,
            LeaderElection = new LeaderElectionSettings
            {
                Enabled = Bool("LeaderElection:Enabled", election.Enabled),
                LeaseName = configuration["LeaderElection:LeaseName"] is { Length: > 0 } lease ? lease : election.LeaseName,
                LeaseNamespace = NullIfEmpty(configuration["LeaderElection:LeaseNamespace"]),
                Identity = NullIfEmpty(configuration["LeaderElection:Identity"]),
                LeaseDuration = DurationOr("LeaderElection:LeaseDuration", election.LeaseDuration),
                RenewDeadline = DurationOr("LeaderElection:RenewDeadline", election.RenewDeadline),
                RetryPeriod = DurationOr("LeaderElection:RetryPeriod", election.RetryPeriod),
            },
            LogLevel = EnumOr("LogLevel", defaults.LogLevel),
            LogFormat = configuration["LogFormat"] is { Length: > 0 } format && !format.Equals("auto", StringComparison.OrdinalIgnoreCase)
                ? EnumOr<OperatorLogFormat>("LogFormat", default, "auto")
                : null,
            MetricsPort = Int("MetricsPort", defaults.MetricsPort, min: 0, max: 65535),
            MaxCatchupRunsPerPass = Int("MaxCatchupRunsPerPass", defaults.MaxCatchupRunsPerPass, min: 1),
        };
        var le = options.LeaderElection;
        if (le.Enabled && !(le.RetryPeriod < le.RenewDeadline && le.RenewDeadline < le.LeaseDuration))
        {
            errors.Add($"LeaderElection: expected RetryPeriod < RenewDeadline < LeaseDuration, got {Durations.Format(le.RetryPeriod)}, "
                + $"{Durations.Format(le.RenewDeadline)}, {Durations.Format(le.LeaseDuration)}");
        }
        return errors.Count == 0 ? OperatorOptionsResult.Valid(options) : OperatorOptionsResult.Invalid(errors);

        int Int(string key, int fallback, int min, int max = int.MaxValue)
        {
            var text = configuration[key];
            if (string.IsNullOrEmpty(text))
            {
                return fallback;
            }
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }
            errors.Add($"{key}: '{text}' is not an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return fallback;
        }

        bool Bool(string key, bool fallback)
        {
            var text = configuration[key];
            if (string.IsNullOrEmpty(text))
            {
                return fallback;
            }
            if (bool.TryParse(text, out var value))
            {
                return value;
            }
            errors.Add($"{key}: '{text}' is not a boolean; expected true or false");
            return fallback;
        }

        TimeSpan? Duration(string key, string text, bool allowZero)
        {
            if (Durations.TryParse(text, out var value) && (allowZero || value > TimeSpan.Zero))
            {
                return value;
            }
            errors.Add($"{key}: '{text}' is not a duration; expected e.g. 30s, 10m, 1h{(allowZero ? " (0s: never)" : "")}");
            return null;
        }

        TimeSpan DurationOr(string key, TimeSpan fallback) =>
            configuration[key] is { Length: > 0 } text ? Duration(key, text, allowZero: false) ?? fallback : fallback;

        T EnumOr<T>(string key, T fallback, string? alsoAccepted = null) where T : struct, Enum
        {
            var text = configuration[key];
            if (string.IsNullOrEmpty(text))
            {
                return fallback;
            }
            if (!int.TryParse(text, out _) && Enum.TryParse<T>(text, ignoreCase: true, out var value))
            {
                return value;
            }
            errors.Add($"{key}: '{text}' is not one of {string.Join(", ", alsoAccepted is null ? Enum.GetNames<T>() : [alsoAccepted, .. Enum.GetNames<T>()])}");
            return fallback;
        }
    }

    private static List<string> ReadNamespaces(IConfigurationSection section)
    {
        var listed = section.GetChildren().Select(c => c.Value).OfType<string>();
        var values = section.Value is { } text ? text.Split(',') : listed;
        return [.. values.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}

/// <summary>Options read from configuration, or every problem with them.</summary>
public sealed record OperatorOptionsResult(OperatorOptions? Options, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0;

    public static OperatorOptionsResult Valid(OperatorOptions options) => new(options, []);

    public static OperatorOptionsResult Invalid(IReadOnlyList<string> errors) => new(null, errors);
}
