using System.Globalization;
using System.Text.RegularExpressions;

namespace K8sFlow.Core;

/// <summary>Durations as Kubernetes users write them: Go-style "1h30m", "30s", "500ms", plus "2d".</summary>
public static partial class Durations
{
    /// <summary>The accepted shape; also the CRD's pattern for duration fields, so kubectl apply rejects "5 min".</summary>
    public const string Pattern = @"^(?:(\d+(?:\.\d+)?)(ms|d|h|m|s))+$";

    [GeneratedRegex(Pattern)]
    private static partial Regex Shape();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|d|h|m|s)")]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || !Shape().IsMatch(text.Trim()))
        {
            return false;
        }
        double totalMs = 0;
        foreach (Match m in Part().Matches(text.Trim()))
        {
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            totalMs += m.Groups[2].Value switch
            {
                "ms" => value,
                "s" => value * 1_000,
                "m" => value * 60_000,
                "h" => value * 3_600_000,
                _ => value * 86_400_000,
            };
        }
        if (totalMs > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }
        duration = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"invalid duration '{text}' (expected e.g. 30s, 5m, 1h30m, 2d)");

    /// <summary>Formats as the shortest Go-style string, e.g. 90 s -> "1m30s".</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }
        var parts = new List<string>();
        if (duration.Days > 0) parts.Add($"{duration.Days}d");
        if (duration.Hours > 0) parts.Add($"{duration.Hours}h");
        if (duration.Minutes > 0) parts.Add($"{duration.Minutes}m");
        if (duration.Seconds > 0) parts.Add($"{duration.Seconds}s");
        if (duration.Milliseconds > 0) parts.Add($"{duration.Milliseconds}ms");
        return string.Concat(parts);
    }
}
