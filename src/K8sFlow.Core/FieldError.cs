using K8sFlow.Core.Api;

namespace K8sFlow.Core;

/// <summary>
/// One invalid field of a spec: the path users read (<c>spec.tasks[2].retryDelay</c>), what is wrong and
/// what is accepted, and the task when the field belongs to one. The validator locates it in the manifest
/// (file and line); the planner and the scheduler refuse the spec with it.
/// </summary>
public sealed record FieldError(string Field, string Message, string? Task = null)
{
    public override string ToString() => Task is null ? $"{Field}: {Message}" : $"task {Task}: {Field}: {Message}";
}

/// <summary>The field checks that several spec readers share, so each wording exists once.</summary>
internal static class FieldChecks
{
    public static void AtLeastOne(int? value, string field, List<FieldError> errors)
    {
        if (value < 1)
        {
            errors.Add(new FieldError(field, $"must be at least 1, got {value}"));
        }
    }

    public static void NotNegative(int? value, string field, List<FieldError> errors, string? task = null)
    {
        if (value < 0)
        {
            errors.Add(new FieldError(field, $"must be 0 or more, got {value}", task));
        }
    }

    /// <summary>Task names are unique (the validator reports it; the planner refuses such a spec).</summary>
    public static FieldError DuplicateTaskName(int index, int firstIndex, string name) =>
        new($"spec.tasks[{index}].name", $"duplicate task name \"{name}\" (first at spec.tasks[{firstIndex}])", name);

    /// <summary>A dependency cycle, reported at the dependsOn of its first task (from <see cref="DagGraph.FindCycle"/>).</summary>
    public static FieldError Cycle(DagSpec spec, IReadOnlyList<string> cycle) =>
        new($"spec.tasks[{spec.Tasks.FindIndex(t => t.Name == cycle[0])}].dependsOn", $"dependency cycle: {string.Join(" -> ", cycle)}", cycle[0]);

    /// <summary>
    /// The duration written at <paramref name="field"/>, or null when absent or invalid (then an error is added).
    /// <paramref name="positive"/>: the duration is a limit, so 0 is refused.
    /// </summary>
    public static TimeSpan? Duration(string? text, string field, bool positive, List<FieldError> errors, string? task = null)
    {
        if (text is null)
        {
            return null;
        }
        if (!Durations.TryParse(text, out var duration, out var error))
        {
            errors.Add(new FieldError(field, error, task));
            return null;
        }
        if (positive && duration <= TimeSpan.Zero)
        {
            errors.Add(new FieldError(field, $"must be longer than 0, got \"{text}\"", task));
            return null;
        }
        return duration;
    }
}
