using K8sFlow.Core.Api;

namespace K8sFlow.Core.Planning;

/// <summary>The tasks a clear selects, or why nothing can be selected.</summary>
public sealed record ClearSelection(IReadOnlyList<string> Tasks, IReadOnlyList<string> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Airflow's clear (spec §12), pure: <see cref="Select"/> expands a user's choice (downstream, upstream, only failed) into
/// task names, <see cref="Apply"/> resets those tasks in a run's status. Cleared tasks go back to none with a fresh retry
/// budget (<see cref="TaskInstanceStatus.ClearedTries"/>) while their try numbers keep counting, so the next Job name is
/// new; tasks not selected keep their state; a finished run goes back to Queued and resumes.
/// </summary>
public static class RunClearing
{
    /// <summary>Task states <c>--only-failed</c> selects (Airflow's only_failed: failed and upstream_failed).</summary>
    public static bool IsFailed(TaskState state) => state is TaskState.Failed or TaskState.UpstreamFailed;

    public static ClearSelection Select(DagSpec spec, DagRunStatus? status, IReadOnlyList<string> tasks, bool downstream, bool upstream,
        bool onlyFailed)
    {
        var graph = DagGraph.Build(spec);
        var unknown = tasks.Where(t => !graph.Contains(t)).ToList();
        if (unknown.Count > 0)
        {
            var known = string.Join(", ", spec.Tasks.Select(t => t.Name));
            return new ClearSelection([], [.. unknown.Select(t => $"task {t} is not in the run's Dag (its tasks: {known})")]);
        }
        var chosen = new HashSet<string>(tasks, StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            if (downstream)
            {
                chosen.UnionWith(graph.Descendants(task));
            }
            if (upstream)
            {
                chosen.UnionWith(graph.Ancestors(task));
            }
        }
        var states = (status?.Tasks ?? []).ToDictionary(t => t.Name, t => t.State, StringComparer.Ordinal);
        return new ClearSelection(
            [.. spec.Tasks.Select(t => t.Name).Where(t => chosen.Contains(t) && (!onlyFailed || IsFailed(states.GetValueOrDefault(t))))], []);
    }

    /// <summary>
    /// <paramref name="status"/> with <paramref name="request"/> applied and recorded; unchanged when that request was already
    /// applied. Live attempts of cleared tasks are stopped by the planner (their task is no longer queued or running at that try).
    /// </summary>
    public static DagRunStatus Apply(DagRunStatus status, ClearRequest request)
    {
        if (status.ClearedRequestId == request.RequestId)
        {
            return status;
        }
        var cleared = new HashSet<string>(request.Tasks, StringComparer.Ordinal);
        var tasks = (status.Tasks ?? []).Select(t => cleared.Contains(t.Name) ? Reset(t) : t).ToList();
        var finished = status.Phase is RunPhase.Succeeded or RunPhase.Failed;
        return status with
        {
            ClearedRequestId = request.RequestId,
            Tasks = tasks,
            Phase = cleared.Count > 0 && finished ? RunPhase.Queued : status.Phase,
            EndTime = cleared.Count > 0 && finished ? null : status.EndTime,
        };
    }

    private static TaskInstanceStatus Reset(TaskInstanceStatus task) => new()
    {
        Name = task.Name,
        State = TaskState.None,
        TryNumber = task.TryNumber,
        ClearedTries = task.TryNumber,
        Reason = task.TryNumber > 0 ? $"cleared after try {task.TryNumber}" : null,
    };
}
