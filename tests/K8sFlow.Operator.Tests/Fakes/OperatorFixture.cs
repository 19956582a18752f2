using System.Collections.Concurrent;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.Operator.Hosting;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Tests.Fakes;

/// <summary>
/// The operator in-process (<see cref="K8sFlowOperator.Start"/>) on an in-memory API (<see cref="FakeKube"/>) with a
/// fake job runner and a manual clock; waits are on store changes, never sleeps.
/// </summary>
public sealed class OperatorFixture : IAsyncDisposable
{
    private OperatorFixture(Func<string, int, AttemptOutcome>? behavior)
    {
        Kube = new FakeKube(Clock);
        Runner = new FakeJobRunner(Kube, Clock, behavior);
    }

    public ManualTimeProvider Clock { get; } = new(TestObjects.T0);
    public FakeKube Kube { get; }
    public FakeJobRunner Runner { get; }
    public CapturingLogs Logs { get; } = new();
    public K8sFlowOperator Operator { get; private set; } = null!;

    public static async Task<OperatorFixture> StartAsync(Func<string, int, AttemptOutcome>? behavior = null)
    {
        var fixture = new OperatorFixture(behavior);
        await fixture.StartOperatorAsync();
        return fixture;
    }

    /// <summary>
    /// Stops the operator and starts a new instance (new caches, queue and memory) on the same API;
    /// <paramref name="whileStopped"/> runs in between.
    /// </summary>
    public async Task RestartAsync(Action? whileStopped = null)
    {
        await Operator.DisposeAsync();
        whileStopped?.Invoke();
        await StartOperatorAsync();
    }

    private async Task StartOperatorAsync()
    {
        Operator = K8sFlowOperator.Start(Kube,
            new OperatorOptions { ResyncPeriod = null, Workers = 2, LeaderElection = new LeaderElectionSettings { Enabled = false } },
            new OperatorServices { TimeProvider = Clock, LoggerFactory = Logs.Factory });
        await Operator.WaitUntilLeadingAsync(Wait.Token());
    }

    public Dag Apply(Dag dag) => Kube.Seed(KubeKinds.Dag, dag);

    public DagRun Create(DagRun run) => Kube.Seed(KubeKinds.DagRun, run);

    public DagRun Run(string name) => Kube.Find(KubeKinds.DagRun, TestObjects.Ns, name)
        ?? throw new InvalidOperationException($"DagRun {name} does not exist");

    public TaskInstanceStatus Task(string run, string task) => Run(run).Status!.Tasks!.Single(t => t.Name == task);

    public async Task<DagRun> WaitForRunAsync(string name, Func<DagRun, bool> condition, string what)
    {
        try
        {
            // A finished run never changes again: stop waiting at once when it finished otherwise.
            DagRun? seen = null;
            await Kube.Changed.WaitUntilAsync(() => (seen = Kube.Find(KubeKinds.DagRun, TestObjects.Ns, name)) is { } run
                && (condition(run) || run.Status?.Phase is RunPhase.Succeeded or RunPhase.Failed), $"{name}: {what}");
            if (condition(seen!))
            {
                return seen!;
            }
            throw new TimeoutException($"the run finished without {what}");
        }
        catch (TimeoutException e)
        {
            // What the run and the operator looked like: the first thing to read when a wait fails.
            var run = Kube.Find(KubeKinds.DagRun, TestObjects.Ns, name);
            var logs = string.Join("\n", Logs.Lines.TakeLast(30).Select(l => $"{l.Level} {l.Message}"));
            throw new TimeoutException($"{name}: {e.Message}\nstatus: {System.Text.Json.JsonSerializer.Serialize(run?.Status, KubeJson.Options)}\nlogs:\n{logs}", e);
        }
    }

    public Task<DagRun> WaitForPhaseAsync(string name, RunPhase phase) =>
        WaitForRunAsync(name, r => r.Status?.Phase == phase, $"phase {phase}");

    public Task<DagRun> WaitForTaskAsync(string name, string task, TaskState state, int tryNumber = 1) =>
        WaitForRunAsync(name, r => r.Status?.Tasks?.Any(t => t.Name == task && t.State == state && t.TryNumber == tryNumber) == true,
            $"task {task} {state} at try {tryNumber}");

    /// <summary>Names of the Jobs created (successful creates; an AlreadyExists create is not one).</summary>
    public IReadOnlyList<string> CreatedJobs =>
        [.. Kube.Writes.Where(w => w.Verb == "create" && w.Kind == KubeKinds.Job).Select(w => w.Name!)];

    /// <summary>The run's Events in the order they were recorded, once there are <paramref name="count"/> (they follow the status write).</summary>
    public async Task<IReadOnlyList<Event>> EventsAsync(string run, int count)
    {
        IReadOnlyList<Event> events = [];
        await Kube.Changed.WaitUntilAsync(() => (events = Events(run)).Count >= count, $"{count} events on {run}");
        return events;
    }

    private IReadOnlyList<Event> Events(string run) =>
        [.. Kube.All(KubeKinds.Event).Where(e => e.InvolvedObject.Name == run).OrderBy(e => e.Metadata.Name, StringComparer.Ordinal)];

    public async ValueTask DisposeAsync()
    {
        await Operator.DisposeAsync();
        await Runner.DisposeAsync();
    }
}

/// <summary>Log lines with their scopes, to check what an operator would see in its logs.</summary>
public sealed class CapturingLogs
{
    private readonly LoggerExternalScopeProvider _scopes = new();

    public CapturingLogs() => Factory = LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Debug);
        builder.AddProvider(new Provider(this));
    });

    public ILoggerFactory Factory { get; }

    public ConcurrentQueue<LogLine> Lines { get; } = new();

    public sealed record LogLine(LogLevel Level, string Category, string Message, IReadOnlyDictionary<string, object?> Scope);

    private sealed class Provider(CapturingLogs logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(logs, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(CapturingLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logs._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
            logs._scopes.ForEachScope((value, target) =>
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, item) in pairs)
                    {
                        target[key] = item;
                    }
                }
            }, scope);
            logs.Lines.Enqueue(new LogLine(logLevel, category, formatter(state, exception), scope));
        }
    }
}
