namespace K8sFlow.Core.Validation;

/// <summary>"Did you mean ...?" for misspelt task names, fields, params and template variables.</summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="name"/> by edit distance, if it is close enough to be a typo.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = string.Equals(name, candidate, StringComparison.OrdinalIgnoreCase)
                ? 0
                : Distance(name, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }
        // Up to 40% of the longer name (at least one edit) still reads as a typo; more is a different name.
        return best is not null && bestDistance <= Math.Max(1, (Math.Max(name.Length, best.Length) * 2 + 2) / 5) ? best : null;
    }

    /// <summary><c> (did you mean "x"?)</c>, or an empty string when nothing is close.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } match ? $" (did you mean \"{match}\"?)" : "";

    /// <summary>Levenshtein distance, case-insensitive: "Retries" and "retries" are one typo apart at most.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
