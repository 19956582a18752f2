namespace K8sFlow.Core;

/// <summary>Accepted <c>spec.tasks[].type</c> values.</summary>
public static class TaskTypes
{
    /// <summary>A container run as a Job (the default).</summary>
    public const string Container = "container";

    /// <summary>A container whose output chooses which direct downstream tasks run (spec §5).</summary>
    public const string Branch = "branch";

    public const string Default = Container;

    public static readonly IReadOnlyList<string> All = [Container, Branch];

    public static bool IsKnown(string? type) => type is null || All.Contains(type);

    public static bool IsBranch(Api.TaskSpec task) => task.Type == Branch;
}
