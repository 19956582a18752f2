namespace K8sFlow.Cli.Cluster;

/// <summary>A plain, kubectl-style table: upper-case headers, columns padded to their widest cell.</summary>
public static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers.Select(h => h.ToUpperInvariant()).ToList() };
        all.AddRange(rows);
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            var cells = row.Select((cell, i) => i == row.Count - 1 ? cell : cell.PadRight(widths[i]));
            output.WriteLine(string.Join("   ", cells).TrimEnd());
        }
    }

    /// <summary>A time as kubectl users read it (UTC, seconds), or "-".</summary>
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : "-";

    /// <summary>end - start (to <paramref name="now"/> while still going), or "-" before the start.</summary>
    public static string Duration(DateTimeOffset? start, DateTimeOffset? end, DateTimeOffset now) =>
        start is { } s ? Core.Durations.Format(TimeSpan.FromSeconds(Math.Max(0, Math.Round(((end ?? now) - s).TotalSeconds)))) : "-";
}
