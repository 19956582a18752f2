namespace K8sFlow.Operator.IntegrationTests.Support;

/// <summary>
/// Reads kubectl's human-readable table output: each column starts where its header starts (kubectl aligns with a
/// tab writer), so a cell is the text from its header's position to the next header's, trimmed.
/// </summary>
public static class KubectlTable
{
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> Parse(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return [];
        }
        var header = lines[0];
        var starts = new List<int>();
        for (var i = 0; i < header.Length; i++)
        {
            if (header[i] != ' ' && (i == 0 || (header[i - 1] == ' ' && i >= 2 && header[i - 2] == ' ')))
            {
                starts.Add(i);
            }
        }
        var names = starts.Select((start, i) => header[start..(i + 1 < starts.Count ? starts[i + 1] : header.Length)].Trim()).ToList();
        return [.. lines.Skip(1).Select(line => (IReadOnlyDictionary<string, string>)names.Select((name, i) => (name, Cell(line, starts, i)))
            .ToDictionary(c => c.name, c => c.Item2, StringComparer.Ordinal))];
    }

    private static string Cell(string line, List<int> starts, int column)
    {
        var start = Math.Min(starts[column], line.Length);
        var end = column + 1 < starts.Count ? Math.Min(starts[column + 1], line.Length) : line.Length;
        return line[start..end].Trim();
    }
}
