using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Planning;

/// <summary>
/// Decides what a run does next: every task-scheduling rule of spec §3-§6 and §11 (maxActiveTasksPerRun).
/// Pure: the controller snapshots the run, its pinned Dag spec and its Jobs, calls <see cref="Plan"/>,
/// applies the actions, then writes the returned status once.
/// </summary>
/// <remarks>
/// Safe to repeat and to run on stale status: the Jobs (executions) are the truth. A Job for a try the
/// status does not know is adopted; a (task, try) that has a Job is never started again; a live Job that is
/// not a task's current attempt is stopped. Costs O(tasks + edges) per plan, plus the descendants of a
/// branch's chosen tasks while one of its direct downstream tasks still waits.
/// </remarks>
public static class RunPlanner
{
    public static RunPlan Plan(PlanInput input) => new Planner(input).Plan();

    /// <summary>Airflow's name of a state, as users read it in status ("upstream_failed").</summary>
    internal static string Name(this TaskState state) => JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());

    /// <summary>At most a few names, so reasons stay short on 10,000-task runs.</summary>
    internal static string NameList(IEnumerable<string> names, int max = 5)
    {
        var list = new List<string>(max + 1);
        var more = 0;
        foreach (var name in names)
        {
            if (list.Count < max)
            {
                list.Add(name);
            }
            else
            {
                more++;
            }
        }
        var text = string.Join(", ", list);
        return more > 0 ? $"{text} and {more.ToString(CultureInfo.InvariantCulture)} more" : text;
    }

    /// <summary>
    /// What a plan derives from the spec alone (graph, indexes, policies, order, spec errors), computed once per
    /// spec instance: a run's pinned spec never changes, so each event's plan pays only for the run's state.
    /// </summary>
    private sealed record SpecShape(
        DagGraph Graph,
        string[] Names,
        Dictionary<string, int> Index,
        int[][] Upstream,
        TaskPolicy[] Policies,
        int[] TopologicalOrder,
        RunPolicy Run,
        IReadOnlyList<FieldError> Errors)
    {
        private static readonly ConditionalWeakTable<DagSpec, SpecShape> Cache = new();

        public static SpecShape Of(DagSpec spec) => Cache.GetValue(spec, Build);

        private static SpecShape Build(DagSpec spec)
        {
            var errors = new List<FieldError>();
            var graph = DagGraph.Build(spec);
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var names = new List<string>(spec.Tasks.Count);
            var specIndex = new List<int>(spec.Tasks.Count); // where each name is first declared
            for (var k = 0; k < spec.Tasks.Count; k++)
            {
                var task = spec.Tasks[k];
                if (index.TryAdd(task.Name, names.Count))
                {
                    names.Add(task.Name);
                    specIndex.Add(k);
                }
                else
                {
                    errors.Add(FieldChecks.DuplicateTaskName(k, specIndex[index[task.Name]], task.Name));
                }
            }
            var n = names.Count;
            var tasks = TaskPolicy.Resolve(spec);
            errors.AddRange(tasks.Errors);
            var upstream = new int[n][];
            var policies = new TaskPolicy[n];
            for (var i = 0; i < n; i++)
            {
                upstream[i] = [.. graph.Upstream[names[i]].Select(u => index[u])];
                policies[i] = tasks.Policies[specIndex[i]];
            }
            var run = RunPolicy.Resolve(spec);
            errors.AddRange(run.Errors);
            var cycle = graph.FindCycle();
            if (cycle is not null)
            {
                errors.Add(FieldChecks.Cycle(spec, cycle));
            }
            // A spec with errors is never planned past them: its order is not needed.
            int[] order = cycle is null ? [.. graph.TopologicalOrder().Select(name => index[name])] : [];
            return new SpecShape(graph, [.. names], index, upstream, policies, order,
                run.Policy ?? new RunPolicy(RunPolicy.DefaultMaxActiveTasksPerRun, null, false), errors);
        }
    }

    /// <summary>One plan: mutable working state over an immutable input, discarded afterwards.</summary>
    private sealed class Planner
    {
        private readonly PlanInput _input;
        private readonly DateTimeOffset _now;
        private readonly DagGraph _graph;
        private readonly string[] _names;                  // spec order, duplicates dropped
        private readonly Dictionary<string, int> _index;
        private readonly int[][] _upstream;
        private readonly TaskPolicy[] _policies;
        private readonly int[] _topological;
        private readonly TaskInstanceStatus[] _tasks;      // the working status, one per spec task
        private readonly List<TaskInstanceStatus> _removed = [];
        private readonly TaskExecution[] _attempts;        // the executions grouped by task (one per try): task i's
        private readonly int[] _attemptsStart;             // start at _attemptsStart[i]...
        private readonly int[] _attemptsCount;             // ...and number _attemptsCount[i]
        private readonly bool[] _restart;                  // queued, but its Job is missing: create it (again)
        private readonly Dictionary<string, string> _stopReasons = new(StringComparer.Ordinal);
        private readonly List<PlanAction> _starts = [];
        private readonly List<FieldError> _specErrors = [];
        private readonly RunPolicy _run;
        private readonly Dictionary<int, HashSet<string>?> _branchReach = [];
        private string? _defaultStopReason;

        public Planner(PlanInput input)
        {
            _input = input;
            _now = input.Now;
            var shape = SpecShape.Of(input.Spec);
            _graph = shape.Graph;
            _names = shape.Names;
            _index = shape.Index;
            _upstream = shape.Upstream;
            _policies = shape.Policies;
            _topological = shape.TopologicalOrder;
            _run = shape.Run;
            _specErrors.AddRange(shape.Errors);
            var n = _names.Length;

            _tasks = new TaskInstanceStatus[n];
            var known = new bool[n];
            foreach (var prior in input.Status?.Tasks ?? [])
            {
                if (_index.TryGetValue(prior.Name, out var i) && !known[i])
                {
                    _tasks[i] = prior;
                    known[i] = true;
                }
                else if (!_index.ContainsKey(prior.Name))
                {
                    _removed.Add(prior.State == TaskState.Removed ? prior : prior with
                    {
                        State = TaskState.Removed,
                        Reason = "the task is not in the run's Dag spec",
                        EndTime = prior.EndTime ?? _now,
                    });
                }
            }
            for (var i = 0; i < n; i++)
            {
                _tasks[i] ??= new TaskInstanceStatus { Name = _names[i], State = TaskState.None };
            }

            (_attempts, _attemptsStart, _attemptsCount) = GroupByTask(input.Executions, n);
            _restart = new bool[n];
        }

        public RunPlan Plan()
        {
            var prior = _input.Status;
            var phase = prior?.Phase ?? RunPhase.Queued;
            if (phase is RunPhase.Succeeded or RunPhase.Failed)
            {
                // A finished run is frozen; only Jobs still alive (a stop not yet applied) are stopped again.
                _defaultStopReason = $"the run is {phase}";
                return new RunPlan(prior!, Sweep(), null);
            }

            var startTime = prior?.StartTime;
            Outcome outcome;
            if (_specErrors.Count > 0)
            {
                outcome = Terminate(failActive: true, "invalid Dag spec",
                    new Outcome(RunPhase.Failed, RunConditions.Reasons.InvalidSpec, NameList(_specErrors.Select(e => e.ToString()), max: 10)));
            }
            else if (phase == RunPhase.Queued && _input.CancelRequested)
            {
                outcome = Terminate(failActive: true, "cancelled", Cancelled);
            }
            // Jobs exist only once a run started: a Queued status next to Jobs is a lost write, not a queue.
            else if (phase == RunPhase.Queued && !_input.MayStart && _input.Executions.Count == 0)
            {
                outcome = new Outcome(RunPhase.Queued, RunConditions.Reasons.Queued, _input.QueuedReason ?? "waiting to start");
            }
            else
            {
                startTime ??= _now;
                outcome = Advance(startTime.Value);
            }

            var actions = new List<PlanAction>(_starts.Count);
            actions.AddRange(Sweep());
            actions.AddRange(_starts);
            var final = outcome.Phase is RunPhase.Succeeded or RunPhase.Failed;
            var status = (prior ?? new DagRunStatus()) with
            {
                Phase = outcome.Phase,
                StartTime = outcome.Phase == RunPhase.Queued ? null : startTime,
                EndTime = final ? prior?.EndTime ?? _now : null,
                Progress = Progress(),
                Conditions = MergeCondition(prior?.Conditions, outcome),
                Tasks = [.. _tasks, .. _removed],
            };
            return new RunPlan(status, actions, final ? null : NextWakeUp(startTime));
        }

        /// <summary>A Running run: observe Jobs, apply run-wide stops, then trigger rules and dispatch.</summary>
        private Outcome Advance(DateTimeOffset startTime)
        {
            for (var i = 0; i < _tasks.Length; i++)
            {
                Observe(i);
            }
            // Once every task is final there is nothing left to stop: the leaves decide, even past a deadline.
            if (Array.Exists(_tasks, t => !t.State.IsFinished()) && RunWideStop(startTime) is { } stopped)
            {
                return stopped;
            }
            ApplyTriggerRules();
            Dispatch();
            return Evaluate();
        }

        /// <summary>Cancel, dagrunTimeout and failFast end every unfinished task at once (spec §1.6, §3).</summary>
        private Outcome? RunWideStop(DateTimeOffset startTime)
        {
            if (_input.CancelRequested)
            {
                return Terminate(failActive: true, "cancelled", Cancelled);
            }
            if (_run.DagrunTimeout is { } runTimeout && _now >= startTime + runTimeout)
            {
                var limit = $"dagrunTimeout ({Durations.Format(runTimeout)}) exceeded";
                return Terminate(failActive: false, limit,
                    new Outcome(RunPhase.Failed, RunConditions.Reasons.DagrunTimeout, $"{limit}; unfinished tasks skipped"));
            }
            if (_run.FailFast && Array.FindIndex(_tasks, t => t.State == TaskState.Failed) is var failed and >= 0)
            {
                var why = $"failFast: task {_names[failed]} failed";
                return Terminate(failActive: true, why,
                    new Outcome(RunPhase.Failed, RunConditions.Reasons.FailFast, $"{why}; running tasks failed, pending tasks skipped"));
            }
            return null;
        }

        // ---- observing Jobs -------------------------------------------------------------------------

        /// <summary>Brings task <paramref name="i"/> up to date with its Jobs; decided (final) tasks never change.</summary>
        private void Observe(int i)
        {
            var task = _tasks[i];
            if (task.State.IsFinished())
            {
                return;
            }
            var attempts = Attempts(i);
            TaskExecution? latest = null;
            foreach (var attempt in attempts)
            {
                latest = latest is null || attempt.TryNumber > latest.TryNumber ? attempt : latest;
            }
            if (latest is not null && latest.TryNumber > task.TryNumber)
            {
                // The status missed a start (lost write or crash): adopt the newest attempt.
                _tasks[i] = NewAttempt(task, latest.TryNumber, latest.Name);
                Apply(i, latest);
                return;
            }
            if (task.State is not (TaskState.Queued or TaskState.Running))
            {
                return; // none, scheduled, up_for_retry: waiting, nothing observed moves them
            }
            if (Attempt(i, task.TryNumber) is { } current)
            {
                Apply(i, current);
            }
            else if (task.State == TaskState.Queued)
            {
                _restart[i] = true; // not in the cache yet, or never created: creating is idempotent
            }
            else
            {
                Fail(i, task.TryNumber, _now, $"Job {task.Job} disappeared while running");
            }
        }

        private void Apply(int i, TaskExecution e)
        {
            var task = _tasks[i];
            var timeout = _policies[i].ExecutionTimeout;
            switch (e.Phase)
            {
                case ExecutionPhase.Pending:
                    _tasks[i] = task with { State = TaskState.Queued };
                    break;
                case ExecutionPhase.Running:
                    var started = e.StartTime ?? task.StartTime ?? _now;
                    _tasks[i] = task with { State = TaskState.Running, StartTime = started };
                    if (timeout is { } limit && _now >= started + limit)
                    {
                        // The Job's activeDeadlineSeconds should have ended it (clock skew, or no deadline set).
                        var message = $"execution timeout ({Durations.Format(limit)}) exceeded";
                        _stopReasons.TryAdd(e.Name, message);
                        Fail(i, e.TryNumber, _now, message);
                    }
                    break;
                case ExecutionPhase.Succeeded:
                    Succeed(i, e);
                    break;
                default:
                    _tasks[i] = task with { StartTime = e.StartTime ?? task.StartTime, ExitCode = e.ExitCode };
                    Fail(i, e.TryNumber, e.EndTime ?? _now, FailureMessage(e, timeout));
                    break;
            }
        }

        private void Succeed(int i, TaskExecution e)
        {
            var output = TaskOutputs.Parse(e.Output);
            var task = _tasks[i] with { StartTime = e.StartTime ?? _tasks[i].StartTime, ExitCode = e.ExitCode };
            if (_policies[i].IsBranch)
            {
                var choice = TaskOutputs.ParseBranch(output, _graph.Downstream[_names[i]]);
                if (choice.Error is not null)
                {
                    _tasks[i] = task;
                    Fail(i, e.TryNumber, e.EndTime ?? _now, $"invalid branch output: {choice.Error}");
                    return;
                }
            }
            _tasks[i] = task with
            {
                State = TaskState.Success,
                EndTime = e.EndTime ?? _now,
                Outputs = output.Values is null ? null : new Dictionary<string, string>(output.Values, StringComparer.Ordinal),
                Message = output.Error is null ? null : $"outputs ignored: {output.Error}",
                Reason = null,
                NextTryTime = null,
            };
        }

        /// <summary>Try <paramref name="tryNumber"/> failed: up_for_retry while retries remain (spec §6), else failed.</summary>
        private void Fail(int i, int tryNumber, DateTimeOffset endTime, string message)
        {
            var policy = _policies[i];
            // A clear gives a fresh retry budget: count the tries made since (spec §12).
            var triesSinceClear = tryNumber - _tasks[i].ClearedTries;
            if (policy.MayRetry(triesSinceClear))
            {
                var next = endTime + policy.RetryWait(triesSinceClear, _input.DagName, _names[i], _input.LogicalDate);
                _tasks[i] = _tasks[i] with
                {
                    State = TaskState.UpForRetry,
                    EndTime = endTime,
                    NextTryTime = next,
                    Message = message,
                    Reason = $"retry {(tryNumber + 1).ToString(CultureInfo.InvariantCulture)} at {Names.FormatIso(next)}",
                };
            }
            else
            {
                _tasks[i] = _tasks[i] with { State = TaskState.Failed, EndTime = endTime, NextTryTime = null, Message = message, Reason = null };
            }
        }

        private static string FailureMessage(TaskExecution e, TimeSpan? timeout)
        {
            if (e.Reason == TaskExecution.DeadlineExceededReason)
            {
                var limit = timeout is { } t ? $"execution timeout ({Durations.Format(t)}) exceeded" : "Job deadline exceeded";
                return e.Message is null ? limit : $"{limit}: {e.Message}";
            }
            var parts = new[] { e.Reason, e.ExitCode is { } code ? $"exit code {code.ToString(CultureInfo.InvariantCulture)}" : null, e.Message };
            var text = string.Join(": ", parts.Where(p => !string.IsNullOrEmpty(p)));
            return text.Length > 0 ? text : "the attempt failed";
        }

        private TaskInstanceStatus NewAttempt(TaskInstanceStatus task, int tryNumber, string job) => task with
        {
            State = TaskState.Queued,
            TryNumber = tryNumber,
            Job = job,
            ReadyTime = task.ReadyTime ?? _now,
            StartTime = null,
            EndTime = null,
            NextTryTime = null,
            ExitCode = null,
            Message = null,
            Reason = null,
            Outputs = null, // outputs are cleared at the start of every try (spec §9)
        };

        // ---- run-wide stops -------------------------------------------------------------------------

        /// <summary>
        /// Ends every unfinished task: with <paramref name="failActive"/> queued/running tasks fail, otherwise
        /// they are skipped like the pending ones; their Jobs are stopped by the sweep.
        /// </summary>
        private Outcome Terminate(bool failActive, string reason, Outcome outcome)
        {
            _defaultStopReason = reason;
            for (var i = 0; i < _tasks.Length; i++)
            {
                var task = _tasks[i];
                if (task.State.IsFinished())
                {
                    continue;
                }
                var active = task.State is TaskState.Queued or TaskState.Running;
                _tasks[i] = task with
                {
                    State = active && failActive ? TaskState.Failed : TaskState.Skipped,
                    EndTime = _now,
                    NextTryTime = null,
                    Reason = reason,
                };
            }
            return outcome;
        }

        private static Outcome Cancelled =>
            new(RunPhase.Failed, RunConditions.Reasons.Cancelled, "cancelled on request; running tasks failed, pending tasks skipped");

        // ---- trigger rules and branches -------------------------------------------------------------

        /// <summary>Decides every waiting task in topological order, so skips and failures spread in one pass.</summary>
        private void ApplyTriggerRules()
        {
            foreach (var i in _topological)
            {
                var task = _tasks[i];
                if (task.State != TaskState.None)
                {
                    continue;
                }
                if (BranchSkipReason(i) is { } branchReason)
                {
                    _tasks[i] = task with { State = TaskState.Skipped, EndTime = _now, Reason = branchReason };
                    continue;
                }
                var rule = _policies[i].TriggerRule;
                var counts = UpstreamCounts.Of(_upstream[i].Select(u => _tasks[u].State));
                _tasks[i] = TriggerRules.Evaluate(rule, counts) switch
                {
                    TriggerDecision.Run => task with { State = TaskState.Scheduled, ReadyTime = _now, Reason = null },
                    TriggerDecision.Skip => task with { State = TaskState.Skipped, EndTime = _now, Reason = CauseReason(i, TriggerDecision.Skip) },
                    TriggerDecision.UpstreamFail => task with { State = TaskState.UpstreamFailed, EndTime = _now, Reason = CauseReason(i, TriggerDecision.UpstreamFail) },
                    _ => task with { Reason = WaitReason(i, counts) },
                };
            }
        }

        private string CauseReason(int i, TriggerDecision decision)
        {
            var rule = _policies[i].TriggerRule;
            var causes = _upstream[i]
                .Where(u => TriggerRules.IsCause(rule, decision, _tasks[u].State))
                .Select(u => $"{_names[u]} ({_tasks[u].State.Name()})");
            return $"trigger rule {rule.ToName()}: upstream {NameList(causes)}";
        }

        private string WaitReason(int i, UpstreamCounts counts)
        {
            if (counts.Done < counts.Total)
            {
                return $"waiting for upstream: {NameList(_upstream[i].Where(u => !_tasks[u].State.IsFinished()).Select(u => _names[u]))}";
            }
            // Every upstream is final and the rule still waits (e.g. a removed upstream): a deadlock.
            var states = _upstream[i].Select(u => $"{_names[u]} ({_tasks[u].State.Name()})");
            return $"trigger rule {_policies[i].TriggerRule.ToName()} can never be met: upstream {NameList(states)}";
        }

        /// <summary>
        /// Spec §5: a succeeded branch task skips each direct downstream task it did not choose and that is
        /// not downstream of a chosen one, whatever that task's trigger rule says.
        /// </summary>
        private string? BranchSkipReason(int i)
        {
            foreach (var u in _upstream[i])
            {
                if (!_policies[u].IsBranch || _tasks[u].State != TaskState.Success)
                {
                    continue;
                }
                var reach = BranchReach(u);
                if (reach is null || !reach.Contains(_names[i]))
                {
                    var chosen = Chosen(u);
                    return $"branch {_names[u]} chose {(chosen.Count == 0 ? "no task" : NameList(chosen))}";
                }
            }
            return null;
        }

        /// <summary>The chosen tasks of branch <paramref name="b"/> and everything downstream of them (memoized per plan).</summary>
        private HashSet<string>? BranchReach(int b)
        {
            if (!_branchReach.TryGetValue(b, out var reach))
            {
                var chosen = Chosen(b);
                if (chosen.Count > 0)
                {
                    reach = new HashSet<string>(chosen, StringComparer.Ordinal);
                    foreach (var c in chosen)
                    {
                        reach.UnionWith(_graph.Descendants(c));
                    }
                }
                _branchReach[b] = reach;
            }
            return reach;
        }

        private IReadOnlySet<string> Chosen(int b) =>
            TaskOutputs.ChosenFromStatus(_tasks[b].Outputs, _graph.Downstream[_names[b]]);

        // ---- dispatch -------------------------------------------------------------------------------

        /// <summary>Starts ready tasks (scheduled, or up_for_retry whose time came) while maxActiveTasksPerRun allows.</summary>
        private void Dispatch()
        {
            var active = 0;
            var ready = new List<(DateTimeOffset Since, int Index)>();
            for (var i = 0; i < _tasks.Length; i++)
            {
                var task = _tasks[i];
                if (task.State is TaskState.Queued or TaskState.Running)
                {
                    active++;
                    if (_restart[i])
                    {
                        _starts.Add(new StartTask(_names[i], task.TryNumber, task.Job ?? Names.TaskJobName(_input.RunName, _names[i], task.TryNumber), _policies[i].ExecutionTimeout));
                    }
                }
                else if (task.State == TaskState.Scheduled
                    || (task.State == TaskState.UpForRetry && task.NextTryTime is { } next && next <= _now))
                {
                    ready.Add((task.State == TaskState.Scheduled ? task.ReadyTime ?? _now : task.NextTryTime!.Value, i));
                }
            }
            ready.Sort(); // longest waiting first; spec order breaks ties

            var slots = _run.MaxActiveTasksPerRun - active;
            foreach (var (_, i) in ready)
            {
                if (LiveExecution(i) is { } live)
                {
                    // Never start try N+1 while an earlier attempt still runs; the sweep stops it.
                    _tasks[i] = _tasks[i] with { Reason = $"waiting for Job {live.Name} to stop" };
                }
                else if (slots > 0)
                {
                    Start(i);
                    slots--;
                }
                else
                {
                    _tasks[i] = _tasks[i] with
                    {
                        State = TaskState.Scheduled,
                        Reason = $"maxActiveTasksPerRun ({_run.MaxActiveTasksPerRun.ToString(CultureInfo.InvariantCulture)}) reached",
                    };
                }
            }
        }

        private void Start(int i)
        {
            var tryNumber = _tasks[i].TryNumber + 1;
            var job = Names.TaskJobName(_input.RunName, _names[i], tryNumber);
            _tasks[i] = NewAttempt(_tasks[i], tryNumber, job);
            _starts.Add(new StartTask(_names[i], tryNumber, job, _policies[i].ExecutionTimeout));
        }

        private TaskExecution? LiveExecution(int i)
        {
            foreach (var attempt in Attempts(i))
            {
                if (attempt.IsLive)
                {
                    return attempt;
                }
            }
            return null;
        }

        private ReadOnlySpan<TaskExecution> Attempts(int i) => _attempts.AsSpan(_attemptsStart[i], _attemptsCount[i]);

        private TaskExecution? Attempt(int i, int tryNumber)
        {
            foreach (var attempt in Attempts(i))
            {
                if (attempt.TryNumber == tryNumber)
                {
                    return attempt;
                }
            }
            return null;
        }

        /// <summary>
        /// The executions of known tasks grouped by task index in two arrays (a plan of 10,000 tasks allocates no
        /// per-task collection); the first execution seen of each (task, try) counts.
        /// </summary>
        private (TaskExecution[] Attempts, int[] Start, int[] Count) GroupByTask(IReadOnlyList<TaskExecution> executions, int n)
        {
            var taskOf = new int[executions.Count];
            var start = new int[n + 1];
            for (var k = 0; k < executions.Count; k++)
            {
                taskOf[k] = _index.TryGetValue(executions[k].TaskName, out var i) ? i : -1;
                if (taskOf[k] >= 0)
                {
                    start[taskOf[k] + 1]++;
                }
            }
            for (var i = 0; i < n; i++)
            {
                start[i + 1] += start[i];
            }
            var attempts = new TaskExecution[start[n]];
            var count = new int[n];
            for (var k = 0; k < executions.Count; k++)
            {
                var i = taskOf[k];
                if (i >= 0 && !Duplicate(attempts.AsSpan(start[i], count[i]), executions[k].TryNumber))
                {
                    attempts[start[i] + count[i]++] = executions[k];
                }
            }
            return (attempts, start, count); // a duplicate leaves its slot unused

            static bool Duplicate(ReadOnlySpan<TaskExecution> seen, int tryNumber)
            {
                foreach (var e in seen)
                {
                    if (e.TryNumber == tryNumber)
                    {
                        return true;
                    }
                }
                return false;
            }
        }

        // ---- outcome --------------------------------------------------------------------------------

        /// <summary>Spec §3: only leaves decide; unfinished tasks that nothing can move are a deadlock.</summary>
        private Outcome Evaluate()
        {
            var stuck = new List<string>();
            var moving = false;
            for (var i = 0; i < _tasks.Length; i++)
            {
                var state = _tasks[i].State;
                if (state is TaskState.Scheduled or TaskState.Queued or TaskState.Running or TaskState.UpForRetry)
                {
                    moving = true;
                }
                else if (!state.IsFinished())
                {
                    stuck.Add(_names[i]);
                }
            }
            if (moving)
            {
                return new Outcome(RunPhase.Running, RunConditions.Reasons.Running, null);
            }
            if (stuck.Count > 0)
            {
                return new Outcome(RunPhase.Failed, RunConditions.Reasons.Deadlock, $"tasks that can never be scheduled: {NameList(stuck)}");
            }
            var failedLeaves = _graph.Leaves
                .Select(l => _tasks[_index[l]])
                .Where(t => t.State is TaskState.Failed or TaskState.UpstreamFailed)
                .Select(t => $"{t.Name} ({t.State.Name()})")
                .ToList();
            return failedLeaves.Count > 0
                ? new Outcome(RunPhase.Failed, RunConditions.Reasons.TasksFailed, $"leaf tasks failed: {NameList(failedLeaves)}")
                : new Outcome(RunPhase.Succeeded, RunConditions.Reasons.Succeeded, "every leaf task succeeded or was skipped");
        }

        /// <summary>Stops every live Job that is not the current attempt of a queued or running task.</summary>
        private List<PlanAction> Sweep()
        {
            var stops = new List<PlanAction>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var e in _input.Executions)
            {
                if (!e.IsLive || !seen.Add(e.Name))
                {
                    continue;
                }
                string reason;
                if (!_index.TryGetValue(e.TaskName, out var i))
                {
                    reason = "the task is not in the run's Dag spec";
                }
                else
                {
                    var task = _tasks[i];
                    if (task.State is TaskState.Queued or TaskState.Running && task.TryNumber == e.TryNumber)
                    {
                        continue;
                    }
                    reason = _stopReasons.GetValueOrDefault(e.Name)
                        ?? _defaultStopReason
                        ?? $"task {_names[i]} is {task.State.Name()} at try {task.TryNumber.ToString(CultureInfo.InvariantCulture)}";
                }
                stops.Add(new StopExecution(e.TaskName, e.Name, reason));
            }
            return stops;
        }

        private string Progress()
        {
            var finished = _tasks.Count(t => t.State.IsFinished());
            return $"{finished.ToString(CultureInfo.InvariantCulture)}/{_tasks.Length.ToString(CultureInfo.InvariantCulture)}";
        }

        /// <summary>The earliest time something changes without an event: a retry, an attempt or the run timing out.</summary>
        private TimeSpan? NextWakeUp(DateTimeOffset? startTime)
        {
            DateTimeOffset? earliest = null;
            void Consider(DateTimeOffset? t)
            {
                // Times already past are waiting on an event (a free slot, a Job gone), not on the clock.
                if (t is { } value && value > _now && (earliest is null || value < earliest))
                {
                    earliest = value;
                }
            }
            if (startTime is { } start && _run.DagrunTimeout is { } runTimeout)
            {
                Consider(start + runTimeout);
            }
            for (var i = 0; i < _tasks.Length; i++)
            {
                var task = _tasks[i];
                if (task.State == TaskState.UpForRetry)
                {
                    Consider(task.NextTryTime);
                }
                else if (task.State == TaskState.Running && task.StartTime is { } began && _policies[i].ExecutionTimeout is { } limit)
                {
                    Consider(began + limit);
                }
            }
            return earliest - _now;
        }

        private List<Condition> MergeCondition(List<Condition>? prior, Outcome outcome)
        {
            var status = outcome.Phase switch
            {
                RunPhase.Succeeded => "True",
                RunPhase.Failed => "False",
                _ => "Unknown",
            };
            var conditions = prior?.Where(c => c.Type != RunConditions.Succeeded).ToList() ?? [];
            var previous = prior?.FirstOrDefault(c => c.Type == RunConditions.Succeeded);
            conditions.Insert(0, new Condition
            {
                Type = RunConditions.Succeeded,
                Status = status,
                Reason = outcome.Reason,
                Message = outcome.Message,
                LastTransitionTime = previous?.Status == status ? previous.LastTransitionTime ?? _now : _now,
                ObservedGeneration = previous?.ObservedGeneration,
            });
            return conditions;
        }
    }

    private sealed record Outcome(RunPhase Phase, string Reason, string? Message);
}
