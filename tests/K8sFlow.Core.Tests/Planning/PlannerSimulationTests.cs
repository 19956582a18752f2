using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

/// <summary>
/// Random Dags run to the end by a simulated controller and cluster: Jobs start, succeed, fail or time out
/// at random, creates and status writes are sometimes lost, runs are sometimes cancelled. Every plan is
/// checked against the rules a user relies on; a failure names its seed so it can be replayed.
/// </summary>
public class PlannerSimulationTests
{
    private const int Seeds = 400;
    private const int MaxSteps = 3000;

    [Fact]
    public void Simulation_RandomDags_PlansObeyTheRulesAndEveryRunEnds()
    {
        var failures = new List<string>();
        for (var seed = 0; seed < Seeds && failures.Count < 5; seed++)
        {
            var error = Simulate(seed);
            if (error is not null)
            {
                failures.Add($"seed {seed}: {error}");
            }
        }
        failures.Should().BeEmpty();
    }

    private static string? Simulate(int seed)
    {
        var rng = new Random(seed);
        var spec = RandomDag(rng);
        var graph = DagGraph.Build(spec);
        var maxActive = spec.MaxActiveTasksPerRun ?? RunPolicy.DefaultMaxActiveTasksPerRun;
        var h = new PlanHarness(spec)
        {
            MayStart = rng.Next(3) > 0,
            CreateIsLost = _ => rng.NextDouble() < 0.05,
            StopIsSlow = _ => rng.NextDouble() < 0.3,
        };
        var cancelAt = rng.NextDouble() < 0.1 ? rng.Next(1, 40) : -1;

        for (var step = 0; step < MaxSteps; step++)
        {
            var observed = h.Jobs.ToList();
            var plan = h.Step(writeStatus: rng.NextDouble() >= 0.2);
            if (Check(plan, observed, graph, maxActive) is { } violation)
            {
                return $"step {step}: {violation}";
            }
            if (h.Status?.Phase is RunPhase.Succeeded or RunPhase.Failed)
            {
                return CheckFinal(h);
            }

            MayStartLater(h, rng);
            if (step == cancelAt)
            {
                h.CancelRequested = true;
            }
            if (!MoveJobs(h, graph, rng) && plan.RequeueAfter is { } wait)
            {
                h.Now += wait; // nothing happens until the planner's wake-up time
            }
            h.Now += TimeSpan.FromSeconds(rng.Next(0, 20));
        }
        return $"no final phase after {MaxSteps} steps: {h.Last.Status.Phase}, tasks {string.Join(", ", h.Last.Status.Tasks!.Select(t => $"{t.Name}={t.State}"))}";
    }

    private static DagSpec RandomDag(Random rng)
    {
        var rules = TriggerRules.Names;
        var count = rng.Next(1, 11);
        var tasks = new List<TaskSpec>();
        for (var i = 0; i < count; i++)
        {
            var deps = Enumerable.Range(0, i).Where(_ => rng.NextDouble() < 0.3).Select(d => $"t{d}").ToArray();
            tasks.Add(Task($"t{i}", deps) with
            {
                TriggerRule = rng.NextDouble() < 0.4 ? null : rules[rng.Next(rules.Count)],
                Type = rng.NextDouble() < 0.15 ? "branch" : null,
                Retries = rng.Next(3),
                RetryDelay = $"{rng.Next(0, 31)}s",
                RetryExponentialBackoff = rng.NextDouble() < 0.5,
                ExecutionTimeout = rng.NextDouble() < 0.3 ? "60s" : null,
            });
        }
        return new DagSpec
        {
            Tasks = tasks,
            MaxActiveTasksPerRun = rng.Next(1, 5),
            FailFast = rng.NextDouble() < 0.2,
            DagrunTimeout = rng.NextDouble() < 0.1 ? "20m" : null,
        };
    }

    private static void MayStartLater(PlanHarness h, Random rng)
    {
        if (!h.MayStart && rng.NextDouble() < 0.3)
        {
            h.MayStart = true;
        }
    }

    /// <summary>The cluster moves on: Jobs start and end at random. Returns whether any Job was live.</summary>
    private static bool MoveJobs(PlanHarness h, DagGraph graph, Random rng)
    {
        var live = h.Jobs.Where(j => j.IsLive).ToList();
        foreach (var job in live)
        {
            var timeout = graph[job.TaskName].ExecutionTimeout is { } t ? Durations.Parse(t) : (TimeSpan?)null;
            var roll = rng.NextDouble();
            TaskExecution? next = job.Phase switch
            {
                ExecutionPhase.Pending when roll < 0.6 => job with { Phase = ExecutionPhase.Running, StartTime = h.Now },
                ExecutionPhase.Running when timeout is { } limit && h.Now >= job.StartTime + limit && roll < 0.5 =>
                    job with { Phase = ExecutionPhase.Failed, EndTime = h.Now, Reason = TaskExecution.DeadlineExceededReason },
                ExecutionPhase.Running when roll < 0.35 =>
                    job with { Phase = ExecutionPhase.Succeeded, EndTime = h.Now, ExitCode = 0, Output = RandomOutput(graph, job.TaskName, rng) },
                ExecutionPhase.Running when roll < 0.5 => job with { Phase = ExecutionPhase.Failed, EndTime = h.Now, ExitCode = 1 },
                _ => null,
            };
            if (next is not null)
            {
                h.RemoveJob(job.Name);
                h.AddJob(next);
            }
        }
        return live.Count > 0;
    }

    private static string? RandomOutput(DagGraph graph, string task, Random rng)
    {
        if (graph[task].Type != "branch")
        {
            return rng.NextDouble() < 0.5 ? """{"rows": 3}""" : null;
        }
        var downstream = graph.Downstream[task];
        var roll = rng.NextDouble();
        if (roll < 0.05)
        {
            return """{"branch": "not-a-task"}""";
        }
        if (roll < 0.15 || downstream.Count == 0)
        {
            return """{"branch": null}""";
        }
        var chosen = downstream.Where(_ => rng.NextDouble() < 0.5).Select(d => $"\"{d}\"");
        return $$"""{"branch": [{{string.Join(", ", chosen)}}]}""";
    }

    /// <summary>The rules every single plan must keep.</summary>
    private static string? Check(RunPlan plan, List<TaskExecution> observed, DagGraph graph, int maxActive)
    {
        var states = plan.Status.Tasks!.ToDictionary(t => t.Name);
        foreach (var start in plan.Actions.OfType<StartTask>())
        {
            if (observed.Any(j => j.Name == start.ExecutionName))
            {
                return $"StartTask for {start.ExecutionName}, which already has a Job";
            }
            if (observed.FirstOrDefault(j => j.TaskName == start.TaskName && j.IsLive) is { } live)
            {
                return $"started {start.TaskName} try {start.TryNumber} while {live.Name} is {live.Phase}";
            }
            var upstream = graph.Upstream[start.TaskName].Select(u => states[u]).ToList();
            var rule = graph[start.TaskName].TriggerRule ?? "all_success";
            var allowed = rule switch
            {
                "always" => true,
                "one_success" => upstream.Count == 0 || upstream.Any(u => u.State == TaskState.Success),
                "one_failed" => upstream.Count == 0 || upstream.Any(u => u.State is TaskState.Failed or TaskState.UpstreamFailed),
                "one_done" => upstream.Count == 0 || upstream.Any(u => u.State is TaskState.Success or TaskState.Failed),
                "all_success" => upstream.All(u => u.State == TaskState.Success),
                _ => upstream.All(u => u.State.IsFinished()),
            };
            if (!allowed)
            {
                return $"started {start.TaskName} ({rule}) with upstream {string.Join(", ", upstream.Select(u => $"{u.Name}={u.State}"))}";
            }
            if (upstream.FirstOrDefault(u => u.State == TaskState.Success && !observed.Any(j =>
                    j.TaskName == u.Name && j.TryNumber == u.TryNumber && j.Phase == ExecutionPhase.Succeeded)) is { } invented)
            {
                return $"upstream {invented.Name} counted as success without a succeeded Job";
            }
        }
        var active = states.Values.Count(t => t.State is TaskState.Queued or TaskState.Running);
        if (active > maxActive)
        {
            return $"{active} tasks active, above maxActiveTasksPerRun {maxActive}";
        }
        if (plan.Status.Phase is RunPhase.Succeeded or RunPhase.Failed && plan.Actions.OfType<StartTask>().Any())
        {
            return "a finished run started tasks";
        }
        return null;
    }

    private static string? CheckFinal(PlanHarness h)
    {
        var status = h.Last.Status;
        if (h.Recreated.Count > 0)
        {
            return $"Jobs created twice: {string.Join(", ", h.Recreated)}";
        }
        if (status.Conditions!.Single(c => c.Type == RunConditions.Succeeded).Reason == RunConditions.Reasons.Deadlock)
        {
            return "a valid Dag deadlocked";
        }
        if (status.Tasks!.FirstOrDefault(t => !t.State.IsFinished()) is { } unfinished)
        {
            return $"run {status.Phase} with {unfinished.Name} still {unfinished.State}";
        }
        if (status.Tasks!.FirstOrDefault(t => t.State == TaskState.Success
                && !h.Jobs.Any(j => j.Name == t.Job && j.TryNumber == t.TryNumber && j.Phase == ExecutionPhase.Succeeded)) is { } invented)
        {
            return $"{invented.Name} is success without a succeeded Job";
        }
        return null;
    }
}
