using K8sFlow.Core.Api;

namespace K8sFlow.Benchmarks.Scenarios;

/// <summary>
/// One benchmark scenario: the manifests the harness applies and what must come of them.
/// <para>
/// <see cref="Dags"/> are applied before the operator starts unless <see cref="TimedFromDag"/>; <see cref="Runs"/>
/// are created once it is ready, and the clock starts at the first of them (or at the Dag for catch-up, whose runs the
/// operator's scheduler creates). The scenario is done when <see cref="ExpectedRuns"/> runs have Succeeded, each with
/// <see cref="TasksPerRun"/> tasks in state success.
/// </para>
/// </summary>
public sealed record Scenario(
    string Name,
    IReadOnlyList<Dag> Dags,
    IReadOnlyList<DagRun> Runs,
    int ExpectedRuns,
    int TasksPerRun,
    bool TimedFromDag,
    IReadOnlyList<string> OperatorFlags)
{
    /// <summary>Every object of a scenario lives here; the operator watches only this namespace.</summary>
    public const string Namespace = "bench";

    /// <summary>Task instances over all expected runs.</summary>
    public int Tasks => ExpectedRuns * TasksPerRun;

    /// <summary>True when some task has an upstream, i.e. scheduling latency is defined.</summary>
    public bool HasUpstreams => Dags.Any(d => d.Spec.Tasks.Any(t => t.DependsOn is { Count: > 0 }));
}
