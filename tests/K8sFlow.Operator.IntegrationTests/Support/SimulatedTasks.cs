using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.LocalCluster.JobRunner;

namespace K8sFlow.Operator.IntegrationTests.Support;

/// <summary>One container start the simulated job runner made: which task, which try, which pod.</summary>
public sealed record TaskStart(string TaskLabel, int TryNumber, string Pod);

/// <summary>
/// How the local cluster's simulated task pods end: the job runner's <see cref="JobRunnerOptions.Simulate"/> callback,
/// keyed on the pod's <c>k8sflow.io/task</c> and <c>k8sflow.io/try-number</c> labels (the labels the operator puts on
/// every attempt). Tasks without an entry fall back to the pod's sim annotations, then succeed at once. Every start
/// is recorded, so a test can prove no attempt ran twice.
/// </summary>
public sealed class SimulatedTasks
{
    private readonly ConcurrentDictionary<(string Task, int? Try), SimulatedOutcome> _outcomes = new();
    private readonly ConcurrentDictionary<string, TaskHold> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TaskStart> _starts = new();

    /// <summary>The task's label value as the operator writes it (task "raw_to_bronze" is "raw-to-bronze").</summary>
    public static string LabelOf(string taskName) => Names.ToLabelValue(Names.ToDnsLabelPart(taskName));

    /// <summary>Every try of <paramref name="task"/> logs <paramref name="logLines"/> and succeeds with <paramref name="outputsJson"/> as its termination message.</summary>
    public SimulatedTasks Succeed(string task, string outputsJson, params string[] logLines) =>
        Set(task, null, new SimulatedOutcome { Message = outputsJson, LogLines = logLines });

    /// <summary>Every try of <paramref name="task"/> runs for <paramref name="duration"/> (real time), then succeeds.</summary>
    public SimulatedTasks Run(string task, TimeSpan duration) =>
        Set(task, null, new SimulatedOutcome { Duration = duration });

    /// <summary>Every try of <paramref name="task"/> (or only <paramref name="tryNumber"/>) exits with <paramref name="exitCode"/>.</summary>
    public SimulatedTasks Fail(string task, int exitCode = 1, int? tryNumber = null) =>
        Set(task, tryNumber, new SimulatedOutcome { ExitCode = exitCode, LogLines = [$"{task}: simulated failure, exit code {exitCode}"] });

    /// <summary>
    /// The first start of <paramref name="task"/> blocks in the runner (the pod stays unfinished, its Job active) until
    /// <see cref="TaskHold.Release"/>; then it ends as configured.
    /// </summary>
    public TaskHold Hold(string task) => _holds.GetOrAdd(LabelOf(task), _ => new TaskHold());

    /// <summary>The container starts so far, in order.</summary>
    public IReadOnlyList<TaskStart> Starts => [.. _starts];

    /// <summary>Lets every held task go (a failed test must not leave the runner blocked).</summary>
    public void ReleaseAll()
    {
        foreach (var hold in _holds.Values)
        {
            hold.Release();
        }
    }

    /// <summary>The <see cref="JobRunnerOptions.Simulate"/> callback.</summary>
    public SimulatedOutcome? Decide(JsonObject pod)
    {
        var labels = pod["metadata"]?["labels"] as JsonObject;
        var task = labels?[K8sFlowApi.Labels.Task]?.GetValue<string>();
        if (task is null || !int.TryParse(labels?[K8sFlowApi.Labels.TryNumber]?.GetValue<string>(), NumberStyles.None,
                CultureInfo.InvariantCulture, out var tryNumber))
        {
            return null;
        }
        _starts.Enqueue(new TaskStart(task, tryNumber, pod["metadata"]?["name"]?.GetValue<string>() ?? ""));
        if (_holds.TryGetValue(task, out var hold))
        {
            hold.Block();
        }
        return _outcomes.TryGetValue((task, tryNumber), out var forTry) ? forTry
            : _outcomes.TryGetValue((task, null), out var forAll) ? forAll
            : null;
    }

    private SimulatedTasks Set(string task, int? tryNumber, SimulatedOutcome outcome)
    {
        _outcomes[(LabelOf(task), tryNumber)] = outcome;
        return this;
    }
}

/// <summary>A task attempt the runner keeps unfinished until released (its first start only).</summary>
public sealed class TaskHold
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _released = new();
    private int _used;

    /// <summary>Completes when the runner started the held attempt's container.</summary>
    public Task Started => _started.Task;

    public void Release() => _released.Set();

    /// <summary>Called on the runner's thread: the simulated container "runs" until released (bounded, so nothing hangs).</summary>
    internal void Block()
    {
        if (Interlocked.Exchange(ref _used, 1) == 1)
        {
            return;
        }
        _started.TrySetResult();
        _released.Wait(OperatorCluster.Patience);
    }
}
