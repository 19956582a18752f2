using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sFlow.Core.Api;
using K8sFlow.Core.Validation;

namespace K8sFlow.Core.Params;

/// <summary>What is wrong with one param: <c>param threshold: 1.5 is above the maximum 1</c>.</summary>
public sealed record ParamError(string Param, string Message)
{
    public override string ToString() => $"param {Param}: {Message}";
}

/// <summary>Param values by name (declaration order), or the errors naming each bad param.</summary>
public sealed record ParamResult(IReadOnlyDictionary<string, JsonNode?> Values, IReadOnlyList<ParamError> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Resolves a run's params against the Dag's declarations (spec §9: Dag defaults &lt; run params) and parses
/// CLI-style <c>name=value</c> assignments. Every value rule (type, enum, range, pattern) lives in
/// <see cref="CheckValue"/>, which validation also uses for defaults.
/// </summary>
public static class ParamResolver
{
    public static ParamResult Resolve(IDictionary<string, ParamSpec>? declarations, IDictionary<string, JsonNode?>? runParams)
    {
        declarations ??= new Dictionary<string, ParamSpec>();
        runParams ??= new Dictionary<string, JsonNode?>();
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var errors = new List<ParamError>();
        foreach (var name in runParams.Keys.Where(n => !declarations.ContainsKey(n)))
        {
            errors.Add(new ParamError(name, UnknownMessage(name, declarations.Keys)));
        }
        foreach (var (name, spec) in declarations)
        {
            var fromRun = runParams.TryGetValue(name, out var value);
            if (!fromRun && spec.Default is null)
            {
                if (spec.Required == true)
                {
                    errors.Add(new ParamError(name, $"required param is missing (it has no default; set it, e.g. -p {name}=...)"));
                }
                continue;
            }
            var resolved = (fromRun ? value : spec.Default)?.DeepClone();
            var problems = CheckValue(spec, resolved);
            errors.AddRange(problems.Select(p => new ParamError(name, fromRun ? p : "default " + p)));
            values[name] = resolved;
        }
        return new ParamResult(errors.Count == 0 ? values : new Dictionary<string, JsonNode?>(), errors);
    }

    /// <summary>
    /// The CLI's <c>-p name=value</c> assignments, typed and checked against the declarations as a run would be
    /// (<see cref="ParseAssignments"/> then <see cref="Resolve"/>). Values are the assignments only: the run's
    /// <c>spec.params</c>, leaving defaults to the controller. Errors name each bad param.
    /// </summary>
    public static ParamResult CheckAssignments(IEnumerable<string> assignments, IDictionary<string, ParamSpec>? declarations)
    {
        var parsed = ParseAssignments(assignments, declarations);
        return parsed.Succeeded ? parsed with { Errors = Resolve(declarations, parsed.Values.ToDictionary()).Errors } : parsed;
    }

    /// <summary>
    /// Parses <c>k8sflow run -p</c> assignments into typed values by the declared type:
    /// <c>epochs=3</c> is an integer, <c>threshold=0.9</c> a number, <c>flag=true</c> a boolean, arrays and objects are JSON.
    /// Later assignments of the same name win. The values still need <see cref="Resolve"/>.
    /// </summary>
    public static ParamResult ParseAssignments(IEnumerable<string> assignments, IDictionary<string, ParamSpec>? declarations)
    {
        declarations ??= new Dictionary<string, ParamSpec>();
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var errors = new List<ParamError>();
        foreach (var assignment in assignments)
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                errors.Add(new ParamError(assignment, $"expected NAME=VALUE, got \"{assignment}\""));
                continue;
            }
            var name = assignment[..equals].Trim();
            var text = assignment[(equals + 1)..];
            if (!declarations.TryGetValue(name, out var spec))
            {
                errors.Add(new ParamError(name, UnknownMessage(name, declarations.Keys)));
                continue;
            }
            if (TryParseValue(spec.Type ?? ParamTypes.Default, text, out var value, out var error))
            {
                values[name] = value;
            }
            else
            {
                errors.Add(new ParamError(name, error));
            }
        }
        return new ParamResult(values, errors);
    }

    /// <summary>Everything wrong with <paramref name="value"/> for <paramref name="spec"/> (empty when it fits).</summary>
    public static IReadOnlyList<string> CheckValue(ParamSpec spec, JsonNode? value)
    {
        var type = spec.Type ?? ParamTypes.Default;
        if (CheckType(type, value) is { } typeError)
        {
            return [typeError];
        }
        var errors = new List<string>();
        if (spec.Enum is { Count: > 0 } allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{Show(value)} is not one of {string.Join(", ", allowed.Select(Show))}");
        }
        if (type is ParamTypes.Integer or ParamTypes.Number && value is not null)
        {
            var number = AsDouble(value);
            if (spec.Minimum is { } min && number < min)
            {
                errors.Add($"{Show(value)} is below the minimum {Show(min)}");
            }
            if (spec.Maximum is { } max && number > max)
            {
                errors.Add($"{Show(value)} is above the maximum {Show(max)}");
            }
        }
        if (type == ParamTypes.String && spec.Pattern is { } pattern)
        {
            if (!TryCreatePattern(pattern, out var regex, out var patternError))
            {
                errors.Add(patternError);
            }
            else if (!regex.IsMatch(value!.GetValue<string>()))
            {
                errors.Add($"{Show(value)} does not match the pattern {pattern}");
            }
        }
        return errors;
    }

    /// <summary>Null when <paramref name="value"/> is of <paramref name="type"/>; else "expected ..., got ...".</summary>
    public static string? CheckType(string type, JsonNode? value)
    {
        var kind = value?.GetValueKind() ?? JsonValueKind.Null;
        var fits = type switch
        {
            ParamTypes.String => kind == JsonValueKind.String,
            ParamTypes.Integer => kind == JsonValueKind.Number && IsWhole(value!),
            ParamTypes.Number => kind == JsonValueKind.Number,
            ParamTypes.Boolean => kind is JsonValueKind.True or JsonValueKind.False,
            ParamTypes.Array => kind == JsonValueKind.Array,
            ParamTypes.Object => kind == JsonValueKind.Object,
            _ => false,
        };
        if (fits)
        {
            return null;
        }
        return ParamTypes.IsKnown(type)
            ? $"expected {Article(type)}, got {Show(value)}"
            : $"unknown type \"{type}\" (expected one of {string.Join(", ", ParamTypes.All)})";
    }

    /// <summary>
    /// Compiles a param pattern. JSON Schema patterns match anywhere in the value (use ^...$ to anchor).
    /// NonBacktracking keeps matching linear in the input, so a user's pattern cannot hang the controller.
    /// </summary>
    public static bool TryCreatePattern(string pattern, out Regex regex, out string error)
    {
        regex = null!;
        error = "";
        try
        {
            regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            return true;
        }
        catch (ArgumentException e)
        {
            error = $"invalid pattern {pattern}: {e.Message}";
        }
        catch (NotSupportedException)
        {
            error = $"pattern {pattern} uses backreferences or lookarounds, which are not supported";
        }
        return false;
    }

    private static bool TryParseValue(string type, string text, out JsonNode? value, out string error)
    {
        value = null;
        error = "";
        switch (type)
        {
            case ParamTypes.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer):
                value = JsonValue.Create(integer);
                return true;
            case ParamTypes.Number when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number):
                value = JsonValue.Create(number);
                return true;
            case ParamTypes.Boolean when bool.TryParse(text, out var boolean):
                value = JsonValue.Create(boolean);
                return true;
            case ParamTypes.Array or ParamTypes.Object:
                if (!TryParseJson(text, out value))
                {
                    error = $"expected {Article(type)} as JSON (e.g. {(type == ParamTypes.Array ? "[1, 2]" : "{\"a\": 1}")}), got \"{text}\"";
                    return false;
                }
                return CheckType(type, value) is not { } mismatch || Fail(mismatch, out error);
            case ParamTypes.Integer or ParamTypes.Number or ParamTypes.Boolean:
                error = $"expected {Article(type)}, got \"{text}\"";
                return false;
            case ParamTypes.String:
                value = JsonValue.Create(text);
                return true;
            default:
                error = $"unknown type \"{type}\" (expected one of {string.Join(", ", ParamTypes.All)})";
                return false;
        }
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static bool TryParseJson(string text, out JsonNode? value)
    {
        try
        {
            value = JsonNode.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            value = null;
            return false;
        }
    }

    private static bool IsWhole(JsonNode value) => double.IsInteger(AsDouble(value));

    // JSON numbers may be backed by long, double or JsonElement; their JSON text reads the same for all.
    private static double AsDouble(JsonNode number) => double.Parse(number.ToJsonString(), CultureInfo.InvariantCulture);

    private static string UnknownMessage(string name, IEnumerable<string> declared)
    {
        var names = declared.ToList();
        var known = names.Count == 0 ? "the Dag declares no params" : "declared: " + string.Join(", ", names);
        return $"unknown param{Suggestions.DidYouMean(name, names)} ({known})";
    }

    private static string Article(string type) => type is ParamTypes.Integer or ParamTypes.Array or ParamTypes.Object
        ? "an " + type
        : "a " + type;

    /// <summary>A value as the user would write it in JSON: "wine", 0.8, true, [1,2].</summary>
    internal static string Show(JsonNode? value) => value?.ToJsonString() ?? "null";

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
