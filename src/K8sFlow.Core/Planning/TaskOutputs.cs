using System.Text.Encodings.Web;
using System.Text.Json;

namespace K8sFlow.Core.Planning;

/// <summary>A task's parsed $K8SFLOW_OUTPUT: its values, or why the text was not a JSON object.</summary>
/// <param name="Values">Key -> value as JSON text (strings unquoted); null when there is no usable output.</param>
/// <param name="Error">Why the output was ignored; null when it was absent or a JSON object.</param>
public sealed record ParsedOutput(IReadOnlyDictionary<string, string>? Values, string? Error);

/// <summary>A branch task's choice (spec §5): the direct downstream tasks it chose, or why its output is unusable.</summary>
public sealed record BranchChoice(IReadOnlySet<string> Chosen, string? Error)
{
    public static BranchChoice Invalid(string error) => new(new HashSet<string>(), error);
}

/// <summary>Reads what tasks write to $K8SFLOW_OUTPUT (spec §9): one JSON object; and a branch task's choice from it.</summary>
public static class TaskOutputs
{
    public const string BranchKey = "branch";

    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };
    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parses <paramref name="raw"/>; empty means no outputs. Values keep their JSON text, strings unquoted.</summary>
    public static ParsedOutput Parse(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return new ParsedOutput(null, null);
        }
        if (!TryParseJson(raw, out var root, out var error))
        {
            return new ParsedOutput(null, $"output is not valid JSON ({error}); expected a JSON object");
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new ParsedOutput(null, $"output is a JSON {root.ValueKind.ToString().ToLowerInvariant()}; expected a JSON object");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            values[property.Name] = FormatValue(property.Value);
        }
        return new ParsedOutput(values, null);
    }

    /// <summary>A value as stored in status outputs: strings unquoted, anything else as compact JSON.</summary>
    public static string FormatValue(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : JsonSerializer.Serialize(value, WriteOptions);

    /// <summary>
    /// The choice in a branch task's parsed output: <c>{"branch": "a"}</c>, <c>{"branch": ["a", "b"]}</c> or
    /// <c>{"branch": null}</c> / <c>[]</c> (nothing). Every chosen name must be a direct downstream task.
    /// </summary>
    public static BranchChoice ParseBranch(ParsedOutput output, IReadOnlyCollection<string> directDownstream)
    {
        var expected = $"expected {{\"{BranchKey}\": \"<task>\"}}, {{\"{BranchKey}\": [\"<task>\", ...]}} or {{\"{BranchKey}\": null}}";
        if (output.Error is not null)
        {
            return BranchChoice.Invalid($"{output.Error}; {expected}");
        }
        if (output.Values is null || !output.Values.TryGetValue(BranchKey, out var text))
        {
            return BranchChoice.Invalid($"a branch task must write its choice to ${Api.K8sFlowApi.Env.Output}; {expected}");
        }
        return ReadBranchValue(text, directDownstream, expected);
    }

    /// <summary>
    /// The choice recorded in a succeeded branch task's status outputs (the <c>branch</c> value as
    /// <see cref="FormatValue"/> stored it). A bare name wins over JSON so a task named "null" stays choosable.
    /// </summary>
    public static IReadOnlySet<string> ChosenFromStatus(IReadOnlyDictionary<string, string>? outputs, IReadOnlyCollection<string> directDownstream)
    {
        if (outputs is null || !outputs.TryGetValue(BranchKey, out var text))
        {
            return new HashSet<string>();
        }
        return ReadBranchValue(text, directDownstream, "").Chosen;
    }

    private static BranchChoice ReadBranchValue(string text, IReadOnlyCollection<string> directDownstream, string expected)
    {
        string[] names;
        if (directDownstream.Contains(text))
        {
            names = [text];
        }
        else if (TryParseJson(text, out var value, out _) && value.ValueKind is JsonValueKind.Null or JsonValueKind.Array)
        {
            if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                return BranchChoice.Invalid($"\"{BranchKey}\" must list task names as strings; {expected}");
            }
            names = value.ValueKind == JsonValueKind.Null ? [] : [.. value.EnumerateArray().Select(e => e.GetString()!)];
        }
        else
        {
            names = [text];
        }
        var unknown = names.Where(n => !directDownstream.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            var allowed = directDownstream.Count == 0 ? "none (the branch task has no downstream tasks)" : string.Join(", ", directDownstream);
            return BranchChoice.Invalid($"chose {string.Join(", ", unknown.Select(n => $"'{n}'"))}, not a direct downstream task; allowed: {allowed}");
        }
        return new BranchChoice(new HashSet<string>(names, StringComparer.Ordinal), null);
    }

    // Task output is untrusted text; JsonDocument offers no TryParse, so its exception is the parse result.
    private static bool TryParseJson(string text, out JsonElement value, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(text, ParseOptions);
            value = document.RootElement.Clone();
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            value = default;
            error = e.Message;
            return false;
        }
    }
}
