using System.Globalization;

namespace K8sFlow.LocalCluster.Selectors;

internal enum LabelOperator
{
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

internal sealed record LabelRequirement(string Key, LabelOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            LabelOperator.Equals or LabelOperator.In => has && Values.Contains(value!),
            // != and notin also match objects without the key.
            LabelOperator.NotEquals or LabelOperator.NotIn => !has || !Values.Contains(value!),
            LabelOperator.Exists => has,
            LabelOperator.DoesNotExist => !has,
            LabelOperator.GreaterThan => has && CompareNumber(value!) > 0,
            LabelOperator.LessThan => has && CompareNumber(value!) < 0,
            _ => false,
        };
    }

    private int CompareNumber(string value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual)
            ? actual.CompareTo(long.Parse(Values[0], CultureInfo.InvariantCulture))
            : 0;
}

/// <summary>
/// A parsed labelSelector: requirements joined by commas (AND) with the operators
/// =, ==, !=, in, notin, exists (k), does-not-exist (!k), gt and lt.
/// </summary>
internal sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([]);

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<LabelRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => Requirements.All(r => r.Matches(labels));

    /// <summary>Parses a selector; on failure the error reads like the apiserver's.</summary>
    public static LabelSelector? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }
        var reader = new Reader(text);
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var requirement = reader.ReadRequirement(out error);
            if (requirement is null)
            {
                return null;
            }
            requirements.Add(requirement);
            reader.SkipSpaces();
            if (reader.AtEnd)
            {
                return new LabelSelector(requirements);
            }
            if (!reader.TryConsume(","))
            {
                error = $"unable to parse requirement: found '{reader.Rest}', expected: ','";
                return null;
            }
        }
    }

    private sealed class Reader(string text)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;

        public string Rest => text[_pos..];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        public bool TryConsume(string token)
        {
            SkipSpaces();
            if (string.CompareOrdinal(text, _pos, token, 0, token.Length) != 0)
            {
                return false;
            }
            _pos += token.Length;
            return true;
        }

        private bool TryConsumeWord(string word)
        {
            SkipSpaces();
            var end = _pos + word.Length;
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) != 0
                || (end < text.Length && IsNameChar(text[end])))
            {
                return false;
            }
            _pos = end;
            return true;
        }

        private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/';

        private string ReadName()
        {
            SkipSpaces();
            var start = _pos;
            while (!AtEnd && IsNameChar(text[_pos]))
            {
                _pos++;
            }
            return text[start.._pos];
        }

        public LabelRequirement? ReadRequirement(out string? error)
        {
            error = null;
            if (TryConsume("!"))
            {
                var negated = ReadName();
                if (negated.Length == 0)
                {
                    error = "unable to parse requirement: expected a label key after '!'";
                    return null;
                }
                return new LabelRequirement(negated, LabelOperator.DoesNotExist, []);
            }
            var key = ReadName();
            if (key.Length == 0)
            {
                error = $"unable to parse requirement: found '{Rest}', expected: identifier";
                return null;
            }
            SkipSpaces();
            if (AtEnd || text[_pos] == ',')
            {
                return new LabelRequirement(key, LabelOperator.Exists, []);
            }
            if (TryConsume("==") || TryConsume("="))
            {
                return new LabelRequirement(key, LabelOperator.Equals, [ReadName()]);
            }
            if (TryConsume("!="))
            {
                return new LabelRequirement(key, LabelOperator.NotEquals, [ReadName()]);
            }
            if (TryConsume(">") || TryConsume("<"))
            {
                var op = text[_pos - 1] == '>' ? LabelOperator.GreaterThan : LabelOperator.LessThan;
                var bound = ReadName();
                if (!long.TryParse(bound, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    error = $"unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer: \"{bound}\"";
                    return null;
                }
                return new LabelRequirement(key, op, [bound]);
            }
            var setOperator = TryConsumeWord("notin") ? LabelOperator.NotIn : TryConsumeWord("in") ? LabelOperator.In : (LabelOperator?)null;
            if (setOperator is null)
            {
                error = $"unable to parse requirement: found '{Rest}', expected: in, notin, =, ==, !=, gt, lt";
                return null;
            }
            if (!TryConsume("("))
            {
                error = $"unable to parse requirement: found '{Rest}', expected: '('";
                return null;
            }
            var values = new List<string>();
            while (true)
            {
                values.Add(ReadName());
                if (TryConsume(")"))
                {
                    return new LabelRequirement(key, setOperator.Value, values);
                }
                if (!TryConsume(","))
                {
                    error = $"unable to parse requirement: found '{Rest}', expected: ',' or ')'";
                    return null;
                }
            }
        }
    }
}
