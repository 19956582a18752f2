using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Tables;

/// <summary>
/// The JSONPath subset CRD printer columns use: <c>.a.b</c>, <c>.a[0].b</c>, <c>.a[*].b</c>,
/// <c>.a['x.y']</c> and filters <c>.a[?(@.type=="Ready")].status</c>.
/// </summary>
internal sealed class SimpleJsonPath
{
    private readonly List<Func<JsonNode?, IEnumerable<JsonNode?>>> _steps;

    private SimpleJsonPath(List<Func<JsonNode?, IEnumerable<JsonNode?>>> steps) => _steps = steps;

    public static SimpleJsonPath? TryParse(string path)
    {
        var text = path.Trim();
        if (text.StartsWith('{') && text.EndsWith('}'))
        {
            text = text[1..^1];
        }
        if (text.StartsWith('$'))
        {
            text = text[1..];
        }
        var steps = new List<Func<JsonNode?, IEnumerable<JsonNode?>>>();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && text[i] is not ('.' or '['))
                {
                    i++;
                }
                var field = text[start..i];
                if (field.Length > 0)
                {
                    steps.Add(node => node is JsonObject o && o.TryGetPropertyValue(field, out var v) ? [v] : []);
                }
            }
            else if (text[i] == '[')
            {
                var end = text.IndexOf(']', i);
                if (end < 0)
                {
                    return null;
                }
                var step = Bracket(text[(i + 1)..end]);
                if (step is null)
                {
                    return null;
                }
                steps.Add(step);
                i = end + 1;
            }
            else
            {
                return null;
            }
        }
        return new SimpleJsonPath(steps);
    }

    private static Func<JsonNode?, IEnumerable<JsonNode?>>? Bracket(string inner)
    {
        if (inner == "*")
        {
            return node => node switch
            {
                JsonArray a => a,
                JsonObject o => o.Select(p => p.Value),
                _ => [],
            };
        }
        if (inner.Length >= 2 && inner[0] is '\'' or '"')
        {
            var field = inner[1..^1];
            return node => node is JsonObject o && o.TryGetPropertyValue(field, out var v) ? [v] : [];
        }
        if (int.TryParse(inner, out var index))
        {
            return node => node is JsonArray a && (index < 0 ? a.Count + index : index) is var k && k >= 0 && k < a.Count ? [a[k]] : [];
        }
        if (inner.StartsWith("?(@.", StringComparison.Ordinal) && inner.EndsWith(')'))
        {
            var condition = inner[4..^1];
            var eq = condition.IndexOf("==", StringComparison.Ordinal);
            if (eq < 0)
            {
                return null;
            }
            var field = condition[..eq].Trim();
            var expected = condition[(eq + 2)..].Trim().Trim('"', '\'');
            return node => node is JsonArray a
                ? a.Where(item => item is JsonObject o && KubeJson.ScalarText(KubeJson.At(o, field)) == expected)
                : [];
        }
        return null;
    }

    /// <summary>Every value the path reaches, in document order.</summary>
    public IReadOnlyList<JsonNode?> Evaluate(JsonNode? root)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var step in _steps)
        {
            current = current.SelectMany(step).ToList();
        }
        return current.ToList();
    }
}
