using System.Text;
using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Selectors;

internal sealed record FieldRequirement(string Field, bool Negated, string Value);

/// <summary>
/// A parsed fieldSelector: <c>field=value</c>, <c>field==value</c>, <c>field!=value</c> joined by commas,
/// with backslash escapes for ',', '=', '!' and '\' in values.
/// </summary>
internal sealed class FieldSelector
{
    public static readonly FieldSelector Everything = new([]);

    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>True when every requirement holds; <paramref name="valueOf"/> reads a field label's value.</summary>
    public bool Matches(JsonObject obj, Func<JsonObject, string, string> valueOf) =>
        Requirements.All(r => (valueOf(obj, r.Field) == r.Value) != r.Negated);

    public static FieldSelector? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }
        var requirements = new List<FieldRequirement>();
        foreach (var term in SplitUnescaped(text, ','))
        {
            var requirement = ParseTerm(term);
            if (requirement is null)
            {
                error = $"invalid selector: '{text}'; can't understand '{term}'";
                return null;
            }
            requirements.Add(requirement);
        }
        return new FieldSelector(requirements);
    }

    private static FieldRequirement? ParseTerm(string term)
    {
        for (var i = 0; i < term.Length; i++)
        {
            if (term[i] == '\\')
            {
                i++;
                continue;
            }
            if (term[i] == '!' && i + 1 < term.Length && term[i + 1] == '=')
            {
                return new FieldRequirement(term[..i].Trim(), true, Unescape(term[(i + 2)..]));
            }
            if (term[i] == '=')
            {
                var valueStart = i + 1 < term.Length && term[i + 1] == '=' ? i + 2 : i + 1;
                return new FieldRequirement(term[..i].Trim(), false, Unescape(term[valueStart..]));
            }
        }
        return null;
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static string Unescape(string value)
    {
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
            }
            sb.Append(value[i]);
        }
        return sb.ToString();
    }
}
