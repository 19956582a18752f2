using System.Globalization;

namespace K8sFlow.Core.Templating;

// The Jinja subset K8sFlow supports: text with {{ expression }} where an expression is a dotted name
// (ds, params.dataset, tasks.train.outputs.accuracy, with ['key'] for names holding dots), an integer,
// a quoted string, or a macro call such as macros.ds_add(ds, -1).

internal abstract record TemplatePart;

internal sealed record TextPart(string Text) : TemplatePart;

/// <summary>One <c>{{ ... }}</c>; <see cref="Source"/> is the whole placeholder, for messages.</summary>
internal sealed record ExpressionPart(Expression Expression, string Source) : TemplatePart;

internal abstract record Expression;

internal sealed record NameExpression(IReadOnlyList<string> Path) : Expression
{
    public override string ToString() => string.Join('.', Path);
}

internal sealed record CallExpression(NameExpression Function, IReadOnlyList<Expression> Arguments) : Expression;

internal sealed record IntegerLiteral(long Value) : Expression;

internal sealed record StringLiteral(string Value) : Expression;

internal sealed record ParsedParts(IReadOnlyList<TemplatePart> Parts, IReadOnlyList<string> Errors);

internal static class TemplateSyntax
{
    private const string Open = "{{";
    private const string Close = "}}";

    public static ParsedParts Parse(string template)
    {
        var parts = new List<TemplatePart>();
        var errors = new List<string>();
        var position = 0;
        while (position < template.Length)
        {
            var open = template.IndexOf(Open, position, StringComparison.Ordinal);
            var statement = template.IndexOf("{%", position, StringComparison.Ordinal);
            if (statement >= 0 && (open < 0 || statement < open))
            {
                errors.Add($"\"{{%\" at column {statement + 1}: Jinja statements are not supported, only {{{{ expression }}}}");
                return new ParsedParts(parts, errors);
            }
            if (open < 0)
            {
                break;
            }
            if (open > position)
            {
                parts.Add(new TextPart(template[position..open]));
            }
            var close = FindClose(template, open + Open.Length);
            if (close < 0)
            {
                errors.Add($"unclosed \"{{{{\" at column {open + 1} (expected \"}}}}\")");
                return new ParsedParts(parts, errors);
            }
            var source = template[open..(close + Close.Length)];
            var parser = new ExpressionParser(template[(open + Open.Length)..close]);
            if (parser.TryParse(out var expression, out var error))
            {
                parts.Add(new ExpressionPart(expression, source));
            }
            else
            {
                errors.Add($"{source}: {error}");
            }
            position = close + Close.Length;
        }
        if (position < template.Length)
        {
            parts.Add(new TextPart(template[position..]));
        }
        return new ParsedParts(parts, errors);
    }

    // The first "}}" that is not inside a quoted string.
    private static int FindClose(string text, int from)
    {
        char? quote = null;
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                quote = c == quote ? null : quote;
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                return i;
            }
        }
        return -1;
    }

    private sealed class ExpressionParser(string text)
    {
        private int _at;

        public bool TryParse(out Expression expression, out string error)
        {
            expression = new StringLiteral("");
            error = "";
            SkipSpace();
            if (_at >= text.Length)
            {
                error = "empty expression";
                return false;
            }
            if (!TryExpression(out expression, out error))
            {
                return false;
            }
            SkipSpace();
            if (_at < text.Length)
            {
                error = text[_at] == '|'
                    ? "filters (|) are not supported"
                    : $"unexpected \"{text[_at..].Trim()}\"";
                return false;
            }
            return true;
        }

        private bool TryExpression(out Expression expression, out string error)
        {
            expression = new StringLiteral("");
            error = "";
            SkipSpace();
            if (_at >= text.Length)
            {
                error = "expression ends too early";
                return false;
            }
            var c = text[_at];
            if (c is '\'' or '"')
            {
                var end = text.IndexOf(c, _at + 1);
                if (end < 0)
                {
                    error = "unclosed string";
                    return false;
                }
                expression = new StringLiteral(text[(_at + 1)..end]);
                _at = end + 1;
                return true;
            }
            if (char.IsAsciiDigit(c) || (c is '-' or '+' && _at + 1 < text.Length && char.IsAsciiDigit(text[_at + 1])))
            {
                var start = _at++;
                while (_at < text.Length && char.IsAsciiDigit(text[_at]))
                {
                    _at++;
                }
                if (!long.TryParse(text[start.._at], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    error = $"integer out of range: {text[start.._at]}";
                    return false;
                }
                expression = new IntegerLiteral(value);
                return true;
            }
            if (!TryName(out var name, out error))
            {
                return false;
            }
            SkipSpace();
            if (_at < text.Length && text[_at] == '(')
            {
                _at++;
                var arguments = new List<Expression>();
                SkipSpace();
                while (_at < text.Length && text[_at] != ')')
                {
                    if (!TryExpression(out var argument, out error))
                    {
                        return false;
                    }
                    arguments.Add(argument);
                    SkipSpace();
                    if (_at < text.Length && text[_at] == ',')
                    {
                        _at++;
                    }
                    else if (_at < text.Length && text[_at] != ')')
                    {
                        error = $"expected \",\" or \")\" in the arguments of {name}";
                        return false;
                    }
                }
                if (_at >= text.Length)
                {
                    error = $"unclosed \"(\" after {name}";
                    return false;
                }
                _at++;
                expression = new CallExpression(name, arguments);
                return true;
            }
            expression = name;
            return true;
        }

        private bool TryName(out NameExpression name, out string error)
        {
            name = new NameExpression([]);
            error = "";
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_'))
            {
                _at++;
            }
            if (_at == start || char.IsAsciiDigit(text[start]))
            {
                error = $"unexpected \"{text[start..].Trim()}\"";
                return false;
            }
            var path = new List<string> { text[start.._at] };
            while (_at < text.Length)
            {
                if (text[_at] == '.')
                {
                    // After a dot, task names may start with a digit or hold '-' (tasks.raw-to-bronze.outputs.rows).
                    var segmentStart = ++_at;
                    while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '-'))
                    {
                        _at++;
                    }
                    if (_at == segmentStart)
                    {
                        error = $"a name must follow \".\" in \"{text.Trim()}\"";
                        return false;
                    }
                    path.Add(text[segmentStart.._at]);
                }
                else if (text[_at] == '[')
                {
                    _at++;
                    SkipSpace();
                    if (!TryExpression(out var key, out error) || key is not StringLiteral literal)
                    {
                        error = error.Length > 0 ? error : "only a quoted name may appear in [ ], e.g. params['my.param']";
                        return false;
                    }
                    SkipSpace();
                    if (_at >= text.Length || text[_at] != ']')
                    {
                        error = "unclosed \"[\"";
                        return false;
                    }
                    _at++;
                    path.Add(literal.Value);
                }
                else
                {
                    break;
                }
            }
            name = new NameExpression(path);
            return true;
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }
    }
}
