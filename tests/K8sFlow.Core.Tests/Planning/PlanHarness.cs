using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;

namespace K8sFlow.Core.Tests.Planning;

/// <summary>Builders for specs and tasks in planner tests.</summary>
internal static class Specs
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TaskSpec Task(string name, params string[] dependsOn) =>
        new() { Name = name, DependsOn = dependsOn.Length == 0 ? null : [.. dependsOn] };

    public static TaskSpec Rule(this TaskSpec task, string triggerRule) => task with { TriggerRule = triggerRule };

    public static TaskSpec Branch(this TaskSpec task) => task with { Type = "branch" };

    public static DagSpec Dag(params TaskSpec[] tasks) => new() { Tasks = [.. tasks] };
}

/// <summary>
/// A tiny controller for tests: plans, applies the actions to an in-memory set of Jobs (create is
/// idempotent, stop deletes), writes the status (or loses the write), and lets a test move Jobs along.
/// </summary>
internal sealed class PlanHarness(DagSpec spec)
{
    public const string DagName = "etl";
    public const string RunName = "etl-manual-1";

    private readonly List<TaskExecution> _jobs = [];
    private readonly HashSet<string> _everCreated = new(StringComparer.Ordinal);

    public DagSpec Spec { get; set; } = spec;
    public DagRunStatus? Status { get; set; }
    public DateTimeOffset Now { get; set; } = Specs.T0;
    public DateTimeOffset? LogicalDate { get; set; } = Specs.T0;
    public bool MayStart { get; set; } = true;
    public bool CancelRequested { get; set; }
    /// <summary>When it returns true the Job create is lost (not created, not visible): the planner must ask again.</summary>
    public Func<StartTask, bool> CreateIsLost { get; set; } = _ => false;
    /// <summary>When it returns true the Job outlives this stop (pods take time to terminate): it stays live.</summary>
    public Func<StopExecution, bool> StopIsSlow { get; set; } = _ => false;
    public RunPlan Last { get; private set; } = null!;
    public IReadOnlyList<TaskExecution> Jobs => _jobs;
    /// <summary>Job names created a second time after being deleted: must stay empty.</summary>
    public List<string> Recreated { get; } = [];

    public PlanInput Input() => new()
    {
        DagName = DagName,
        RunName = RunName,
        Spec = Spec,
        Status = Status,
        Executions = [.. _jobs],
        Now = Now,
        MayStart = MayStart,
        CancelRequested = CancelRequested,
        LogicalDate = LogicalDate,
    };

    public RunPlan Step(bool writeStatus = true)
    {
        var plan = RunPlanner.Plan(Input());
        foreach (var action in plan.Actions)
        {
            switch (action)
            {
                case StartTask start when _jobs.All(j => j.Name != start.ExecutionName) && !CreateIsLost(start):
                    if (!_everCreated.Add(start.ExecutionName))
                    {
                        Recreated.Add(start.ExecutionName);
                    }
                    _jobs.Add(new TaskExecution(start.TaskName, start.TryNumber, start.ExecutionName, ExecutionPhase.Pending));
                    break;
                case StopExecution stop when !StopIsSlow(stop):
                    _jobs.RemoveAll(j => j.Name == stop.ExecutionName);
                    break;
            }
        }
        if (writeStatus)
        {
            Status = plan.Status;
        }
        Last = plan;
        return plan;
    }

    public IEnumerable<StartTask> Starts => Last.Actions.OfType<StartTask>();
    public IEnumerable<StopExecution> Stops => Last.Actions.OfType<StopExecution>();
    public TaskInstanceStatus Task(string name) => Last.Status.Tasks!.Single(t => t.Name == name);
    public TaskState State(string name) => Task(name).State;
    public RunPhase? Phase => Last.Status.Phase;
    public Condition Condition => Last.Status.Conditions!.Single(c => c.Type == RunConditions.Succeeded);

    public TaskExecution Job(string task) => _jobs.Where(j => j.TaskName == task).MaxBy(j => j.TryNumber)
        ?? throw new InvalidOperationException($"no Job for task {task}");

    public void AddJob(TaskExecution job) => _jobs.Add(job);
    public void RemoveJob(string name) => _jobs.RemoveAll(j => j.Name == name);

    public void Update(string task, Func<TaskExecution, TaskExecution> change)
    {
        var job = Job(task);
        _jobs[_jobs.IndexOf(job)] = change(job);
    }

    public void Running(string task) => Update(task, j => j with { Phase = ExecutionPhase.Running, StartTime = Now });

    public void Succeed(string task, string? output = null) => Update(task, j => j with
    {
        Phase = ExecutionPhase.Succeeded,
        StartTime = j.StartTime ?? Now,
        EndTime = Now,
        ExitCode = 0,
        Output = output,
    });

    public void Fail(string task, int exitCode = 1, string? reason = null, string? message = null) => Update(task, j => j with
    {
        Phase = ExecutionPhase.Failed,
        StartTime = j.StartTime ?? Now,
        EndTime = Now,
        ExitCode = exitCode,
        Reason = reason,
        Message = message,
    });

    /// <summary>Runs the task's current Job to success and plans.</summary>
    public RunPlan Complete(string task, string? output = null)
    {
        Succeed(task, output);
        return Step();
    }
}
