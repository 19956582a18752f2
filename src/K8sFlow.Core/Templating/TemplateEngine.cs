using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Core.Validation;

namespace K8sFlow.Core.Templating;

/// <summary>What a template reads, and what is wrong with it (syntax, undefined names); for validation.</summary>
public sealed record TemplateInspection(string Template, IReadOnlyList<TemplateReference> References, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>The rendered text, or the error that stopped rendering (never both).</summary>
public sealed record RenderResult
{
    private RenderResult(string? value, string? error) => (Value, Error) = (value, error);

    public string? Value { get; }
    public string? Error { get; }
    public bool Succeeded => Error is null;

    public static RenderResult Success(string value) => new(value, null);
    public static RenderResult Failure(string error) => new(null, error);
}

/// <summary>Rendered values of a list (command, args), or every error found in it.</summary>
public sealed record RenderListResult(IReadOnlyList<string> Values, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>What templates of one task attempt can see (spec §10). Dates are rendered in UTC.</summary>
public sealed record TemplateContext
{
    /// <summary>The run's logical date; null for runs without one (asset-triggered), where date variables are errors.</summary>
    public DateTimeOffset? LogicalDate { get; init; }

    /// <summary>Defaults to <see cref="LogicalDate"/> (spec §1.2: logicalDate = dataIntervalStart).</summary>
    public DateTimeOffset? DataIntervalStart { get; init; }

    /// <summary>Defaults to the interval start.</summary>
    public DateTimeOffset? DataIntervalEnd { get; init; }

    public string RunId { get; init; } = "";

    /// <summary>The run's resolved params (see <see cref="K8sFlow.Core.Params.ParamResolver"/>).</summary>
    public IReadOnlyDictionary<string, JsonNode?> Params { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>Outputs of finished tasks: task name -> key -> value as JSON text (as in DagRun status).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> TaskOutputs { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>The context a run's status gives: its dates, run id, resolved params and task outputs.</summary>
    public static TemplateContext FromRunStatus(DagRunStatus status) => new()
    {
        LogicalDate = status.LogicalDate,
        DataIntervalStart = status.DataIntervalStart,
        DataIntervalEnd = status.DataIntervalEnd,
        RunId = status.RunId ?? "",
        Params = status.Params ?? [],
        TaskOutputs = (status.Tasks ?? [])
            .Where(t => t.Outputs is not null)
            .DistinctBy(t => t.Name)
            .ToDictionary(t => t.Name, t => (IReadOnlyDictionary<string, string>)t.Outputs!, StringComparer.Ordinal),
    };
}

/// <summary>
/// Jinja-like <c>{{ expression }}</c> templates in task command, args and env values: <see cref="Inspect"/> for
/// validation, <see cref="Render"/> at run time. Both share one set of name rules, so what validates renders.
/// </summary>
public static class TemplateEngine
{
    private static readonly JsonSerializerOptions OutputJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly IReadOnlyList<string> TopLevelNames =
        [.. TemplateVariables.Simple, "dag_run", TemplateVariables.Params, TemplateVariables.Tasks, TemplateVariables.Macros];

    /// <summary>True when <paramref name="text"/> contains template syntax at all (cheap pre-check).</summary>
    public static bool HasTemplate(string? text) =>
        text is not null && (text.Contains("{{", StringComparison.Ordinal) || text.Contains("{%", StringComparison.Ordinal));

    public static TemplateInspection Inspect(string template)
    {
        var parsed = TemplateSyntax.Parse(template);
        var references = new List<TemplateReference>();
        var errors = new List<string>(parsed.Errors);
        foreach (var part in parsed.Parts.OfType<ExpressionPart>())
        {
            var error = Check(part.Expression, references);
            if (error is not null)
            {
                errors.Add($"{part.Source}: {error}");
            }
        }
        return new TemplateInspection(template, references.Distinct().ToList(), errors);
    }

    public static RenderResult Render(string template, TemplateContext context)
    {
        var parsed = TemplateSyntax.Parse(template);
        if (parsed.Errors.Count > 0)
        {
            return RenderResult.Failure(parsed.Errors[0]);
        }
        var output = new System.Text.StringBuilder(template.Length);
        foreach (var part in parsed.Parts)
        {
            if (part is TextPart text)
            {
                output.Append(text.Text);
                continue;
            }
            var expression = (ExpressionPart)part;
            var value = Evaluate(expression.Expression, context);
            if (value.Error is not null)
            {
                return RenderResult.Failure($"{expression.Source}: {value.Error}");
            }
            output.Append(ToText(value.Node));
        }
        return RenderResult.Success(output.ToString());
    }

    public static RenderListResult RenderAll(IEnumerable<string>? templates, TemplateContext context)
    {
        var values = new List<string>();
        var errors = new List<string>();
        foreach (var template in templates ?? [])
        {
            var result = Render(template, context);
            if (result.Succeeded)
            {
                values.Add(result.Value!);
            }
            else
            {
                errors.Add(result.Error!);
            }
        }
        return new RenderListResult(errors.Count == 0 ? values : [], errors);
    }

    // ---- names: the one place that says what a dotted name means ----

    private sealed record Resolution(TemplateReference Reference, IReadOnlyList<string> Rest);

    private static Resolution? Resolve(NameExpression name, out string? error)
    {
        error = null;
        var path = name.Path;
        var head = path[0];
        if (TemplateVariables.Simple.Contains(head))
        {
            if (path.Count == 1)
            {
                return new Resolution(new TemplateReference.Variable(head), []);
            }
            error = $"\"{head}\" is a plain value; \"{name}\" is undefined";
            return null;
        }
        switch (head)
        {
            case "dag_run" when path.Count >= 2 && path[1] == "conf":
                return new Resolution(new TemplateReference.Variable(TemplateVariables.DagRunConf), path.Skip(2).ToList());
            case "dag_run":
                error = $"undefined name \"{name}\" (dag_run offers dag_run.conf)";
                return null;
            case TemplateVariables.Params when path.Count >= 2:
                return new Resolution(new TemplateReference.Param(path[1]), path.Skip(2).ToList());
            case TemplateVariables.Params:
                error = "params needs a name: params.NAME";
                return null;
            case TemplateVariables.Tasks when path.Count == 4 && path[2] == "outputs":
                return new Resolution(new TemplateReference.TaskOutput(path[1], path[3]), []);
            case TemplateVariables.Tasks:
                error = $"expected tasks.TASK.outputs.KEY, got \"{name}\"";
                return null;
            case TemplateVariables.Macros:
                error = $"\"{name}\" is not a value; call it, e.g. macros.ds_add(ds, 1)";
                return null;
            default:
                error = $"undefined name \"{head}\"{Suggestions.DidYouMean(head, TopLevelNames)} (known: {string.Join(", ", TemplateVariables.Documented)})";
                return null;
        }
    }

    private static bool IsDsAdd(CallExpression call) =>
        call.Function.Path is [TemplateVariables.Macros, TemplateVariables.DsAdd];

    private static string? CheckCall(CallExpression call)
    {
        if (!IsDsAdd(call))
        {
            return $"unknown function \"{call.Function}\" (known: macros.ds_add(ds, n))";
        }
        if (call.Arguments.Count != 2)
        {
            return $"macros.ds_add takes 2 arguments (a date and a number of days), got {call.Arguments.Count}";
        }
        if (call.Arguments[0] is StringLiteral date && ParseDate(date.Value) is null)
        {
            return $"macros.ds_add: \"{date.Value}\" is not a date (expected YYYY-MM-DD)";
        }
        if (call.Arguments[1] is StringLiteral days && !long.TryParse(days.Value, CultureInfo.InvariantCulture, out _))
        {
            return $"macros.ds_add: \"{days.Value}\" is not a whole number of days";
        }
        return null;
    }

    // ---- inspection ----

    private static string? Check(Expression expression, List<TemplateReference> references)
    {
        switch (expression)
        {
            case NameExpression name:
                var resolution = Resolve(name, out var error);
                if (resolution is not null)
                {
                    references.Add(resolution.Reference);
                }
                return error;
            case CallExpression call:
                return CheckCall(call) ?? call.Arguments.Select(a => Check(a, references)).FirstOrDefault(e => e is not null);
            default:
                return null;
        }
    }

    // ---- rendering ----

    private sealed record Value(JsonNode? Node, string? Error)
    {
        public static Value Of(string text) => new(JsonValue.Create(text), null);
        public static Value Fail(string error) => new(null, error);
    }

    private static Value Evaluate(Expression expression, TemplateContext context) => expression switch
    {
        StringLiteral s => Value.Of(s.Value),
        IntegerLiteral i => new Value(JsonValue.Create(i.Value), null),
        NameExpression name => EvaluateName(name, context),
        CallExpression call => EvaluateCall(call, context),
        _ => Value.Fail("unsupported expression"),
    };

    private static Value EvaluateName(NameExpression name, TemplateContext context)
    {
        var resolution = Resolve(name, out var error);
        if (resolution is null)
        {
            return Value.Fail(error!);
        }
        switch (resolution.Reference)
        {
            case TemplateReference.Variable { Name: TemplateVariables.RunId }:
                return Value.Of(context.RunId);
            case TemplateReference.Variable { Name: TemplateVariables.DagRunConf }:
                var conf = new JsonObject(context.Params.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
                return Navigate(conf, resolution.Rest, "dag_run.conf");
            case TemplateReference.Variable date:
                return EvaluateDate(date.Name, context);
            case TemplateReference.Param param:
                if (!context.Params.TryGetValue(param.Name, out var value))
                {
                    var known = context.Params.Count == 0 ? "none" : string.Join(", ", context.Params.Keys);
                    return Value.Fail($"param \"{param.Name}\" has no value (params of this run: {known})");
                }
                return Navigate(value, resolution.Rest, "params." + param.Name);
            case TemplateReference.TaskOutput output:
                if (!context.TaskOutputs.TryGetValue(output.Task, out var outputs))
                {
                    return Value.Fail($"task \"{output.Task}\" has no outputs (it has not succeeded, or wrote none)");
                }
                if (!outputs.TryGetValue(output.Key, out var text))
                {
                    var keys = outputs.Count == 0 ? "none" : string.Join(", ", outputs.Keys);
                    return Value.Fail($"task \"{output.Task}\" has no output \"{output.Key}\" (its outputs: {keys})");
                }
                return Value.Of(UnquoteJsonString(text));
            default:
                return Value.Fail($"undefined name \"{name}\"");
        }
    }

    private static Value EvaluateDate(string variable, TemplateContext context)
    {
        if (context.LogicalDate is not { } logical)
        {
            return Value.Fail($"\"{variable}\" needs a logical date, and this run has none");
        }
        var date = logical.ToUniversalTime();
        var start = (context.DataIntervalStart ?? logical).ToUniversalTime();
        var end = (context.DataIntervalEnd ?? start).ToUniversalTime();
        return Value.Of(variable switch
        {
            TemplateVariables.Ds => FormatDs(date),
            TemplateVariables.DsNodash => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            TemplateVariables.TsNodash => date.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture),
            TemplateVariables.DataIntervalStart => Names.FormatIso(start),
            TemplateVariables.DataIntervalEnd => Names.FormatIso(end),
            _ => Names.FormatIso(date), // ts, logical_date
        });
    }

    private static Value EvaluateCall(CallExpression call, TemplateContext context)
    {
        if (CheckCall(call) is { } error)
        {
            return Value.Fail(error);
        }
        var date = Evaluate(call.Arguments[0], context);
        var days = Evaluate(call.Arguments[1], context);
        if (date.Error is not null || days.Error is not null)
        {
            return date.Error is not null ? date : days;
        }
        var dateText = ToText(date.Node);
        if (ParseDate(dateText) is not { } day)
        {
            return Value.Fail($"macros.ds_add: \"{dateText}\" is not a date (expected YYYY-MM-DD)");
        }
        if (!long.TryParse(ToText(days.Node), CultureInfo.InvariantCulture, out var n) || Math.Abs(n) > 3_000_000)
        {
            return Value.Fail($"macros.ds_add: \"{ToText(days.Node)}\" is not a whole number of days");
        }
        var shifted = day.DayNumber + n;
        return shifted < DateOnly.MinValue.DayNumber || shifted > DateOnly.MaxValue.DayNumber
            ? Value.Fail($"macros.ds_add: {dateText} + {n} days is out of range")
            : Value.Of(DateOnly.FromDayNumber((int)shifted).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    private static Value Navigate(JsonNode? node, IReadOnlyList<string> rest, string name)
    {
        foreach (var segment in rest)
        {
            if (!TryChild(node, segment, out node))
            {
                return Value.Fail($"{name} has no \"{segment}\"");
            }
            name += "." + segment;
        }
        return new Value(node, null);
    }

    private static bool TryChild(JsonNode? node, string segment, out JsonNode? child)
    {
        child = null;
        if (node is JsonObject obj)
        {
            return obj.TryGetPropertyValue(segment, out child);
        }
        if (node is JsonArray array && int.TryParse(segment, CultureInfo.InvariantCulture, out var index) && index >= 0 && index < array.Count)
        {
            child = array[index];
            return true;
        }
        return false;
    }

    /// <summary>Strings render without quotes; every other value (numbers, lists, objects, null) as JSON.</summary>
    private static string ToText(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text
        : node?.ToJsonString(OutputJson) ?? "null";

    private static string FormatDs(DateTimeOffset date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>YYYY-MM-DD, YYYYMMDD or an ISO date-time (its UTC day): ds_add accepts any date variable.</summary>
    private static DateOnly? ParseDate(string text)
    {
        if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
            ? DateOnly.FromDateTime(instant.UtcDateTime)
            : null;
    }

    /// <summary>Task outputs are stored as JSON text: a JSON string renders unquoted, anything else as written.</summary>
    private static string UnquoteJsonString(string text)
    {
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"')
        {
            return text;
        }
        try
        {
            return JsonSerializer.Deserialize<string>(text) ?? text;
        }
        catch (JsonException)
        {
            return text; // not JSON after all: the raw text is the value
        }
    }
}
