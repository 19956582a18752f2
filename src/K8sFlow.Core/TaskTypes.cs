using System.Diagnostics.CodeAnalysis;
using K8sFlow.Core.Validation;

namespace K8sFlow.Core;

/// <summary>Accepted <c>spec.tasks[].type</c> values and their parsing (the one place; the planner's policy reads it).</summary>
public static class TaskTypes
{
    /// <summary>A container run as a Job (the default).</summary>
    public const string Container = "container";

    /// <summary>A container whose output chooses which direct downstream tasks run (spec §5).</summary>
    public const string Branch = "branch";

    public static readonly IReadOnlyList<string> All = [Container, Branch];

    /// <summary>
    /// Parses a task type; absent (null or empty) means container. On failure <paramref name="error"/>
    /// names the value and lists the accepted ones.
    /// </summary>
    public static bool TryParse(string? type, out bool isBranch, [NotNullWhen(false)] out string? error)
    {
        isBranch = type == Branch;
        error = string.IsNullOrEmpty(type) || All.Contains(type) ? null : Suggestions.UnknownValue("task type", type, All);
        return error is null;
    }
}
