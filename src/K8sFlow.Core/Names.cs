using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace K8sFlow.Core;

/// <summary>Deterministic Kubernetes names and Airflow run ids: the name is the idempotency lock.</summary>
public static class Names
{
    public const int MaxLabelLength = 63;
    public const int MaxSubdomainLength = 253;

    /// <summary>Airflow run types; the DagRun's spec.runType and the run id prefix.</summary>
    public static class RunTypes
    {
        public const string Manual = "manual";
        public const string Scheduled = "scheduled";
        public const string Backfill = "backfill";
        public const string AssetTriggered = "asset_triggered";
        public static readonly IReadOnlyList<string> All = [Manual, Scheduled, Backfill, AssetTriggered];
    }

    /// <summary>Airflow's run id, e.g. scheduled__2026-01-01T00:00:00+00:00.</summary>
    public static string RunId(string runType, DateTimeOffset date) =>
        $"{runType}__{FormatIso(date)}";

    /// <summary>Airflow's isoformat(): 2026-01-01T00:00:00+00:00 (microseconds only when present).</summary>
    public static string FormatIso(DateTimeOffset date)
    {
        var utc = date.ToUniversalTime();
        var fraction = utc.Ticks % TimeSpan.TicksPerSecond;
        var format = fraction == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.ffffff";
        return utc.ToString(format, CultureInfo.InvariantCulture) + "+00:00";
    }

    /// <summary>
    /// The DagRun name for (dag, run type, logical date): the same inputs always give the same name,
    /// so a restarted controller finds the run it already created instead of creating a second one.
    /// </summary>
    public static string DagRunName(string dagName, string runType, DateTimeOffset logicalDate)
    {
        var stamp = logicalDate.ToUniversalTime().ToString("yyyyMMdd't'HHmmss", CultureInfo.InvariantCulture);
        var type = runType.Replace('_', '-');
        return FitName($"{dagName}-{type}-{stamp}", MaxSubdomainLength, $"{dagName}/{runType}/{stamp}");
    }

    /// <summary>
    /// The Job name of one attempt: "&lt;run&gt;-&lt;task&gt;-&lt;try&gt;", cut and suffixed with a hash
    /// when longer than 63 characters (the job-name label limit). Deterministic.
    /// </summary>
    public static string TaskJobName(string runName, string taskName, int tryNumber)
    {
        var suffix = "-" + tryNumber.ToString(CultureInfo.InvariantCulture);
        var readable = $"{runName}-{ToDnsLabelPart(taskName)}";
        var candidate = readable + suffix;
        if (candidate.Length <= MaxLabelLength)
        {
            return candidate;
        }
        var hash = ShortHash($"{runName}/{taskName}");
        var room = MaxLabelLength - suffix.Length - hash.Length - 1;
        return readable[..room].TrimEnd('-') + "-" + hash + suffix;
    }

    /// <summary>Lower-cases and maps every character outside [a-z0-9-] to '-' (task "raw_to_bronze" -> "raw-to-bronze").</summary>
    public static string ToDnsLabelPart(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            sb.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        }
        return sb.ToString().Trim('-');
    }

    public static bool IsDnsLabel(string name) =>
        name.Length is > 0 and <= MaxLabelLength
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-' && name[^1] != '-';

    public static bool IsDnsSubdomain(string name) =>
        name.Length is > 0 and <= MaxSubdomainLength
        && name.Split('.').All(IsDnsLabel);

    /// <summary>Label values: at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric.</summary>
    public static bool IsLabelValue(string value) =>
        value.Length == 0 || (value.Length <= MaxLabelLength
            && char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1])
            && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));

    /// <summary>
    /// A label value standing for <paramref name="text"/> (e.g. a DagRun name, up to 253 characters, in the
    /// k8sflow.io/dag-run label): the text itself when it is a valid label value, otherwise its first characters
    /// (others mapped to '-') and a hash of the whole. Deterministic, so selectors can be computed from the name.
    /// </summary>
    public static string ToLabelValue(string text)
    {
        if (IsLabelValue(text))
        {
            return text;
        }
        var hash = ShortHash(text);
        var cleaned = new string([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        var head = cleaned[..Math.Min(cleaned.Length, MaxLabelLength - hash.Length - 1)].Trim('-', '_', '.');
        return head.Length == 0 ? hash : $"{head}-{hash}";
    }

    /// <summary>8 hex characters of SHA-256: stable across processes and platforms.</summary>
    public static string ShortHash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];

    private static string FitName(string name, int max, string hashInput) =>
        name.Length <= max ? name : name[..(max - 9)].TrimEnd('-') + "-" + ShortHash(hashInput);
}
