using System.Text.Json;
using K8sFlow.Benchmarks.Scenarios;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster;
using K8sFlow.LocalCluster.Store;
using WatchEventType = K8sFlow.LocalCluster.Store.WatchEventType;

namespace K8sFlow.Benchmarks.Measuring;

/// <summary>
/// Collects a scenario's observations in process, as the store publishes them: DagRun versions (task state
/// transitions, status size, finished runs) and Job events (created, Complete) through two store watches, and the
/// operator's API requests through the server's request log. Every time is a <see cref="TimeProvider"/> timestamp
/// taken on receipt. <see cref="Completion"/> ends when every expected run has Succeeded (or one Failed).
/// </summary>
public sealed class Measurer : IAsyncDisposable
{
    /// <summary>The operator's User-Agent (KubeClientOptions' default); the harness's own client sends another.</summary>
    public const string OperatorUserAgent = "k8sflow";

    private readonly Scenario _scenario;
    private readonly TimeProvider _time;
    private readonly Lock _runsLock = new();
    private readonly Dictionary<string, RunSnapshot> _runs = new(StringComparer.Ordinal);
    private readonly Lock _jobsLock = new();
    private readonly Dictionary<(string Run, string Task), JobTimes> _jobs = [];
    private readonly TaskCompletionSource<long> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<WatchPump> _pumps = [];
    private readonly List<string> _stoppedPumpFailures = [];
    private long _transitions;
    private long _maxStatusBytes;
    private long _operatorRequests;
    private long _operatorWatches;
    private long _operatorErrors;
    private long _startedAt;
    private long _lastProgressAt;
    private int _succeededRuns;
    private volatile bool _counting;

    public Measurer(Scenario scenario, TimeProvider time)
    {
        _scenario = scenario;
        _time = time;
        _lastProgressAt = time.GetTimestamp();
    }

    /// <summary>Completes with the receipt time of the last expected run's Succeeded; faults when a run Failed.</summary>
    public Task<long> Completion => _finished.Task;

    /// <summary>When the last DagRun or Job event arrived: a scenario that makes no progress for long is stuck.</summary>
    public TimeSpan SinceLastProgress => _time.GetElapsedTime(Interlocked.Read(ref _lastProgressAt));

    /// <summary>Progress for messages: "412/1000 runs succeeded, 8123 Jobs seen".</summary>
    public string Progress
    {
        get
        {
            int jobs;
            lock (_jobsLock)
            {
                jobs = _jobs.Count;
            }
            return $"{Volatile.Read(ref _succeededRuns)}/{_scenario.ExpectedRuns} runs succeeded, {jobs}/{_scenario.Tasks} Jobs seen";
        }
    }

    /// <summary>API requests of the operator answered with 4xx/5xx since <see cref="MarkStart"/> (conflicts included).</summary>
    public long OperatorErrors => Interlocked.Read(ref _operatorErrors);

    /// <summary>Starts watching DagRuns and Jobs in the scenario's namespace.</summary>
    public void Attach(ClusterStore store)
    {
        _pumps.Add(WatchPump.Start(store, Resources.DagRuns, Scenario.Namespace, _time, OnDagRun));
        _pumps.Add(WatchPump.Start(store, ResourceRef.Jobs, Scenario.Namespace, _time, OnJob));
    }

    /// <summary>The clock starts: requests are counted from now on.</summary>
    public void MarkStart()
    {
        _startedAt = _time.GetTimestamp();
        _counting = true;
    }

    /// <summary>For <see cref="LocalClusterOptions.RequestLog"/>: counts the operator's requests while the scenario runs.</summary>
    public void OnRequest(RequestLogEntry entry)
    {
        if (!_counting || entry.UserAgent != OperatorUserAgent)
        {
            return;
        }
        Interlocked.Increment(ref _operatorRequests);
        if (entry.PathAndQuery.Contains("watch=true", StringComparison.Ordinal) || entry.PathAndQuery.Contains("watch=1", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _operatorWatches);
        }
        if (entry.StatusCode >= 400)
        {
            Interlocked.Increment(ref _operatorErrors);
        }
    }

    private void OnDagRun(WatchEvent watchEvent, long receivedAt)
    {
        if (watchEvent.Type is not (WatchEventType.Added or WatchEventType.Modified))
        {
            return;
        }
        Interlocked.Exchange(ref _lastProgressAt, receivedAt);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(watchEvent.Object).LongLength;
        _maxStatusBytes = Math.Max(_maxStatusBytes, bytes);
        var snapshot = RunSnapshot.Read(watchEvent.Object, dagName => _scenario.Dags.FirstOrDefault(d => d.Metadata.Name == dagName)?.Spec);
        RunSnapshot? previous;
        lock (_runsLock)
        {
            _runs.TryGetValue(snapshot.Name, out previous);
            _runs[snapshot.Name] = snapshot;
        }
        _transitions += CountTransitions(previous, snapshot);
        if (previous?.Phase == snapshot.Phase)
        {
            return;
        }
        if (snapshot.Phase == RunPhase.Failed)
        {
            _finished.TrySetException(new ScenarioFailedException($"run {snapshot.Name} ended Failed ({snapshot.Reason})"));
        }
        else if (snapshot.Phase == RunPhase.Succeeded && Interlocked.Increment(ref _succeededRuns) == _scenario.ExpectedRuns)
        {
            _finished.TrySetResult(receivedAt);
        }
    }

    /// <summary>Each task whose state differs from the previous version counts once (a task absent from a status is none).</summary>
    private static int CountTransitions(RunSnapshot? previous, RunSnapshot current)
    {
        var count = 0;
        foreach (var (task, state) in current.TaskStates)
        {
            var before = previous?.TaskStates.GetValueOrDefault(task, TaskState.None) ?? TaskState.None;
            count += state == before ? 0 : 1;
        }
        return count;
    }

    private void OnJob(WatchEvent watchEvent, long receivedAt)
    {
        if (watchEvent.Type is not (WatchEventType.Added or WatchEventType.Modified))
        {
            return;
        }
        Interlocked.Exchange(ref _lastProgressAt, receivedAt);
        var job = watchEvent.Object.Deserialize<Job>(KubeJson.Options)!;
        var run = job.Metadata.OwnerReferences?.FirstOrDefault(o => o.Kind == K8sFlowApi.DagRunKind)?.Name;
        var task = job.Metadata.Annotations?.GetValueOrDefault(K8sFlowApi.Annotations.TaskName);
        if (run is null || task is null)
        {
            return;
        }
        var complete = job.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true;
        lock (_jobsLock)
        {
            var times = _jobs.GetValueOrDefault((run, task)) ?? new JobTimes(receivedAt, null);
            _jobs[(run, task)] = complete && times.CompletedAt is null ? times with { CompletedAt = receivedAt } : times;
        }
    }

    /// <summary>
    /// The scenario's measurements once <see cref="Completion"/> has ended and <see cref="StopAsync"/> has drained the
    /// watches, after checking that every expected run
    /// Succeeded with every task in state success and every task's Job Complete; otherwise a
    /// <see cref="ScenarioFailedException"/> naming the first culprits.
    /// </summary>
    public ScenarioMeasurement Measure(long finishedAt, double peakRssMiB)
    {
        _counting = false;
        var runs = VerifiedRuns();
        var wall = _time.GetElapsedTime(_startedAt, finishedAt);
        var latencies = SchedulingLatenciesMs(runs);
        return new ScenarioMeasurement(
            Scenario: _scenario.Name,
            Tasks: _scenario.Tasks,
            Runs: runs.Count,
            WallSeconds: Math.Round(wall.TotalSeconds, 3),
            TransitionsPerSecond: Math.Round(_transitions / wall.TotalSeconds, 1),
            SchedulingLatencyP50Ms: Round(Percentiles.NearestRank(latencies, 50), 2),
            SchedulingLatencyP99Ms: Round(Percentiles.NearestRank(latencies, 99), 2),
            ApiRequestsPerTask: Math.Round((double)Interlocked.Read(ref _operatorRequests) / _scenario.Tasks, 3),
            StatusBytes: _maxStatusBytes,
            PeakRssMiB: Math.Round(peakRssMiB, 1))
        {
            Transitions = _transitions,
            OperatorRequests = Interlocked.Read(ref _operatorRequests),
            OperatorWatchRequests = Interlocked.Read(ref _operatorWatches),
            OperatorErrors = OperatorErrors,
        };
    }

    private static double? Round(double? value, int decimals) => value is { } v ? Math.Round(v, decimals) : null;

    private List<RunSnapshot> VerifiedRuns()
    {
        if (_stoppedPumpFailures.FirstOrDefault() is { } lost)
        {
            throw new ScenarioFailedException(lost);
        }
        List<RunSnapshot> runs;
        lock (_runsLock)
        {
            runs = [.. _runs.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];
        }
        var problems = new List<string>();
        if (runs.Count != _scenario.ExpectedRuns)
        {
            problems.Add($"expected {_scenario.ExpectedRuns} runs, saw {runs.Count}");
        }
        foreach (var run in runs)
        {
            if (run.Phase != RunPhase.Succeeded)
            {
                problems.Add($"run {run.Name}: phase {run.Phase?.ToString() ?? "none"}, expected Succeeded");
            }
            if (run.TaskStates.Count != _scenario.TasksPerRun)
            {
                problems.Add($"run {run.Name}: {run.TaskStates.Count} tasks in status, expected {_scenario.TasksPerRun}");
            }
            problems.AddRange(run.TaskStates.Where(t => t.Value != TaskState.Success)
                .Select(t => $"run {run.Name}, task {t.Key}: state {t.Value}, expected success"));
            problems.AddRange(run.TaskStates.Keys.Where(task => CompletedAt(run.Name, task) is null)
                .Select(task => $"run {run.Name}, task {task}: no Complete Job seen"));
        }
        return problems.Count == 0
            ? runs
            : throw new ScenarioFailedException($"{problems.Count} problems, first: {string.Join("; ", problems.Take(5))}");
    }

    /// <summary>Per task with upstreams: its Job's ADDED minus the Complete of the last of its upstreams' Jobs, in ms.</summary>
    private List<double> SchedulingLatenciesMs(IReadOnlyList<RunSnapshot> runs)
    {
        var graphs = _scenario.Dags.ToDictionary(d => d.Metadata.Name!, d => DagGraph.Build(d.Spec), StringComparer.Ordinal);
        var latencies = new List<double>();
        foreach (var run in runs)
        {
            foreach (var (task, upstreams) in graphs[run.DagName].Upstream)
            {
                if (upstreams.Count == 0)
                {
                    continue;
                }
                var lastUpstreamDone = upstreams.Max(u => CompletedAt(run.Name, u)!.Value);
                latencies.Add(_time.GetElapsedTime(lastUpstreamDone, AddedAt(run.Name, task)!.Value).TotalMilliseconds);
            }
        }
        return latencies;
    }

    private long? CompletedAt(string run, string task)
    {
        lock (_jobsLock)
        {
            return _jobs.GetValueOrDefault((run, task))?.CompletedAt;
        }
    }

    private long? AddedAt(string run, string task)
    {
        lock (_jobsLock)
        {
            return _jobs.GetValueOrDefault((run, task))?.AddedAt;
        }
    }

    /// <summary>Stops the watches after handling every event already received; call it before <see cref="Measure"/>.</summary>
    public async Task StopAsync()
    {
        foreach (var pump in _pumps)
        {
            await pump.DisposeAsync();
        }
        _stoppedPumpFailures.AddRange(_pumps.Select(p => p.Failure).OfType<string>());
        _pumps.Clear();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>When the first Job of a task was seen, and when it was first seen Complete.</summary>
    private sealed record JobTimes(long AddedAt, long? CompletedAt);
}

/// <summary>The resources the harness watches and writes that ResourceRef does not name.</summary>
internal static class Resources
{
    public static readonly ResourceRef Dags = new(K8sFlowApi.Group, K8sFlowApi.DagPlural);
    public static readonly ResourceRef DagRuns = new(K8sFlowApi.Group, K8sFlowApi.DagRunPlural);
}

/// <summary>The scenario did not end as expected; the message names the run, task or watch at fault.</summary>
public sealed class ScenarioFailedException(string message) : Exception(message);
