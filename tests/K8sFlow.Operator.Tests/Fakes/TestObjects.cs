using K8sFlow.Core.Api;

namespace K8sFlow.Operator.Tests.Fakes;

/// <summary>Small Dags and DagRuns for tests.</summary>
public static class TestObjects
{
    public const string Ns = "team-a";
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TaskSpec Task(string name, params string[] dependsOn) => new()
    {
        Name = name,
        DependsOn = dependsOn.Length == 0 ? null : [.. dependsOn],
    };

    public static Dag Dag(string name, params TaskSpec[] tasks) => Dag(name, new DagSpec { Tasks = [.. tasks] });

    public static Dag Dag(string name, DagSpec spec) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Ns },
        Spec = spec.Defaults?.Image is null ? spec with { Defaults = (spec.Defaults ?? new TaskDefaults()) with { Image = "busybox:1.36" } } : spec,
    };

    /// <summary>A chain a -> b -> c ... of tasks.</summary>
    public static TaskSpec[] Chain(params string[] names) =>
        [.. names.Select((n, i) => i == 0 ? Task(n) : Task(n, names[i - 1]))];

    public static DagRun Run(string name, string dagName, Dictionary<string, System.Text.Json.Nodes.JsonNode?>? @params = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Ns },
        Spec = new DagRunSpec { DagName = dagName, Params = @params },
    };
}
