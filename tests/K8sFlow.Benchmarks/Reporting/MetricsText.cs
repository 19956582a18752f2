using System.Globalization;

namespace K8sFlow.Benchmarks.Reporting;

/// <summary>Reads the operator's /metrics (Prometheus text format).</summary>
public static class MetricsText
{
    /// <summary>The sum of every series of <paramref name="metric"/> (all label sets); null when it is absent.</summary>
    public static double? Sum(string? text, string metric)
    {
        if (text is null)
        {
            return null;
        }
        double? total = null;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }
            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                total = (total ?? 0) + number;
            }
        }
        return total;
    }
}
