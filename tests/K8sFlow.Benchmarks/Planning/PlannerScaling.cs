using System.Diagnostics;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;

namespace K8sFlow.Benchmarks.Planning;

/// <summary>
/// One planner-scaling case's result; written to bench-results.json after the scenario objects as an extra object
/// ({scenario: "planner-10k-chain", tasks, planMicroseconds, allocatedKiB}).
/// </summary>
public sealed record PlannerMeasurement(string Scenario, int Tasks, double PlanMicroseconds, double AllocatedKiB);

/// <summary>
/// <see cref="RunPlanner.Plan"/> on a steady run where exactly one task's Job has just finished: the work one Job
/// event costs the controller. Same shapes at 1k and 10k tasks, so the table shows whether that cost grows with the
/// DAG (it should not: only one task changed).
/// </summary>
public static class PlannerScaling
{
    private const string RunName = "planner-bench";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MeasureFor = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<int> Sizes { get; } = [1_000, 10_000];

    public static IReadOnlyList<PlannerMeasurement> MeasureAll() =>
        [.. Sizes.SelectMany(size => new[] { MeasureIndependent(size), MeasureChain(size) })];

    /// <summary>All <paramref name="tasks"/> tasks running at once; one of them (the middle one) just succeeded.</summary>
    public static PlannerMeasurement MeasureIndependent(int tasks)
    {
        var spec = Spec(tasks, chained: false);
        var running = spec.Tasks.Select(t => Execution(t.Name, ExecutionPhase.Running)).ToList();
        return Measure($"planner-{Label(tasks)}-independent", spec, running, finishing: spec.Tasks[tasks / 2].Name);
    }

    /// <summary>A chain half done: the first half succeeded, the middle task's Job just succeeded, the rest waits.</summary>
    public static PlannerMeasurement MeasureChain(int tasks)
    {
        var spec = Spec(tasks, chained: true);
        var middle = tasks / 2;
        var executions = spec.Tasks.Take(middle).Select(t => Execution(t.Name, ExecutionPhase.Succeeded))
            .Append(Execution(spec.Tasks[middle].Name, ExecutionPhase.Running)).ToList();
        return Measure($"planner-{Label(tasks)}-chain", spec, executions, finishing: spec.Tasks[middle].Name);
    }

    /// <summary>
    /// Plans until the status is steady for <paramref name="executions"/> (the planner adopts the Jobs it is shown),
    /// then times plans of the same run with <paramref name="finishing"/>'s Job Succeeded.
    /// </summary>
    private static PlannerMeasurement Measure(string name, DagSpec spec, List<TaskExecution> executions, string finishing)
    {
        var steady = Steady(spec, executions);
        var changed = executions.Select(e => e.TaskName == finishing ? e with { Phase = ExecutionPhase.Succeeded, EndTime = Now } : e).ToList();
        var input = Input(spec, steady, changed);

        for (var warmUp = 0; warmUp < 3; warmUp++)
        {
            RunPlanner.Plan(input);
        }
        var iterations = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < MeasureFor || iterations < 5)
        {
            RunPlanner.Plan(input);
            iterations++;
        }
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new PlannerMeasurement(name, spec.Tasks.Count, Math.Round(clock.Elapsed.TotalMicroseconds / iterations, 1),
            Math.Round(allocated / 1024.0 / iterations, 1));
    }

    /// <summary>The status the controller would have written after the Jobs in <paramref name="executions"/> were seen.</summary>
    private static DagRunStatus Steady(DagSpec spec, List<TaskExecution> executions)
    {
        DagRunStatus? status = null;
        for (var pass = 0; pass < 3; pass++)
        {
            status = RunPlanner.Plan(Input(spec, status, executions)).Status;
        }
        var expected = executions.ToDictionary(e => e.TaskName, e => e.Phase == ExecutionPhase.Succeeded ? TaskState.Success : TaskState.Running);
        var wrong = (status!.Tasks ?? []).Where(t => t.State != expected.GetValueOrDefault(t.Name, TaskState.None)).Take(3).ToList();
        return wrong.Count == 0
            ? status
            : throw new InvalidOperationException($"planner-scaling set-up: the steady status has unexpected states: {string.Join(", ", wrong.Select(t => $"{t.Name}={t.State}"))}");
    }

    private static PlanInput Input(DagSpec spec, DagRunStatus? status, IReadOnlyList<TaskExecution> executions) => new()
    {
        DagName = RunName,
        RunName = RunName,
        Spec = spec,
        Status = status,
        Executions = executions,
        Now = Now,
        MayStart = true,
        LogicalDate = Now,
    };

    private static TaskExecution Execution(string task, ExecutionPhase phase) =>
        new(task, TryNumber: 1, Names.TaskJobName(RunName, task, 1), phase, StartTime: Now, EndTime: phase == ExecutionPhase.Succeeded ? Now : null);

    private static DagSpec Spec(int tasks, bool chained) => new()
    {
        MaxActiveTasksPerRun = tasks,
        Defaults = new TaskDefaults { Image = "busybox:1.36" },
        Tasks = [.. Enumerable.Range(0, tasks).Select(i => new TaskSpec
        {
            Name = $"t{i:D5}",
            Command = ["true"],
            DependsOn = chained && i > 0 ? [$"t{i - 1:D5}"] : null,
        })],
    };

    private static string Label(int tasks) => tasks % 1000 == 0 ? $"{tasks / 1000}k" : tasks.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
