using System.Globalization;
using System.Text;

namespace K8sFlow.Operator.Observability;

/// <summary>The lexical rules of the Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusText
{
    /// <summary>A metric name matching [a-zA-Z_:][a-zA-Z0-9_:]*: other characters ('.', '-', '/') become '_'.</summary>
    public static string MetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>A label name matching [a-zA-Z_][a-zA-Z0-9_]*.</summary>
    public static string LabelName(string name) => Sanitize(name, allowColon: false);

    /// <summary>
    /// The label set as it appears between the braces, sorted by name (the series' identity and sort key):
    /// <c>a="x",b="y"</c>; empty without tags. A name repeated after sanitizing keeps its first value.
    /// </summary>
    public static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            labels.TryAdd(LabelName(key), LabelValue(value));
        }
        return string.Join(",", labels.Select(l => $"{l.Key}=\"{EscapeLabelValue(l.Value)}\""));
    }

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", @"\\").Replace("\"", "\\\"").Replace("\n", @"\n");

    /// <summary>HELP text escapes backslash and line feed.</summary>
    public static string EscapeHelp(string help) => help.Replace("\\", @"\\").Replace("\n", @"\n");

    /// <summary>Shortest round-trip form; +Inf, -Inf and NaN as Prometheus spells them.</summary>
    public static string Value(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string LabelValue(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Sanitize(string name, bool allowColon)
    {
        var result = new StringBuilder(name.Length + 1);
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            result.Append('_');
        }
        foreach (var c in name)
        {
            result.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }
        return result.ToString();
    }
}
