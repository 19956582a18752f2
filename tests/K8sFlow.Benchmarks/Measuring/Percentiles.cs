namespace K8sFlow.Benchmarks.Measuring;

public static class Percentiles
{
    /// <summary>The nearest-rank percentile (the smallest value with at least p% of values at or below it); null when empty.</summary>
    public static double? NearestRank(IReadOnlyCollection<double> values, double percent)
    {
        if (values.Count == 0)
        {
            return null;
        }
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
