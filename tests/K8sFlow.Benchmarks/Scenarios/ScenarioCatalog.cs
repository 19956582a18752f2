using K8sFlow.Core.Api;

namespace K8sFlow.Benchmarks.Scenarios;

/// <summary>
/// The five scenarios of issue 6, full size or quick (about a tenth). Every Dag lets all its tasks and runs be
/// active at once (maxActiveTasksPerRun = its task count, maxActiveRuns = the run count), so the limits measured
/// are the controller's, not the Dag's.
/// </summary>
public static class ScenarioCatalog
{
    public const string IndependentName = "independent-10k";
    public const string ChainName = "chain-1k";
    public const string FanName = "fan-100x100";
    public const string RunsName = "runs-1000x10";
    public const string CatchupName = "catchup-1000";

    /// <summary>Every scenario name, in the order the suite runs them.</summary>
    public static IReadOnlyList<string> Names { get; } = [IndependentName, ChainName, FanName, RunsName, CatchupName];

    /// <summary>The simulated runner ignores image and command: the smallest valid ones.</summary>
    private const string Image = "busybox:1.36";
    private static readonly List<string> Command = ["true"];

    /// <summary>The scenario <paramref name="name"/> (one of <see cref="Names"/>) at full or quick size.</summary>
    public static Scenario Create(string name, bool quick, DateTimeOffset now) => name switch
    {
        IndependentName => Independent(quick ? 1_000 : 10_000),
        ChainName => Chain(quick ? 100 : 1_000),
        FanName => FanOutFanIn(stages: quick ? 10 : 100, width: 100),
        RunsName => ConcurrentRuns(runs: quick ? 100 : 1_000, chainLength: 10),
        CatchupName => Catchup(runs: quick ? 100 : 1_000, now),
        _ => throw new ArgumentException($"unknown scenario '{name}'; expected one of {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>One run of <paramref name="count"/> tasks without dependencies.</summary>
    public static Scenario Independent(int count) =>
        SingleRun(IndependentName, [.. Enumerable.Range(0, count).Select(i => Task(TaskName(i)))]);

    /// <summary>One run of a chain t00000 -> t00001 -> ...</summary>
    public static Scenario Chain(int length) =>
        SingleRun(ChainName, [.. Enumerable.Range(0, length).Select(i => i == 0 ? Task(TaskName(i)) : Task(TaskName(i), TaskName(i - 1)))]);

    /// <summary>
    /// One run of <paramref name="stages"/> stages: each fans out from the previous stage's join to
    /// <paramref name="width"/> parallel tasks, joined by one task (s000-join) that feeds the next stage.
    /// </summary>
    public static Scenario FanOutFanIn(int stages, int width)
    {
        var tasks = new List<TaskSpec>(stages * (width + 1));
        for (var stage = 0; stage < stages; stage++)
        {
            var previousJoin = stage == 0 ? null : JoinName(stage - 1);
            var fanned = Enumerable.Range(0, width).Select(i => $"s{stage:D3}-t{i:D3}").ToList();
            tasks.AddRange(fanned.Select(name => previousJoin is null ? Task(name) : Task(name, previousJoin)));
            tasks.Add(Task(JoinName(stage), [.. fanned]));
        }
        return SingleRun(FanName, tasks);

        static string JoinName(int stage) => $"s{stage:D3}-join";
    }

    /// <summary><paramref name="runs"/> manual runs, created together, of one Dag whose tasks form a chain.</summary>
    public static Scenario ConcurrentRuns(int runs, int chainLength)
    {
        var tasks = Enumerable.Range(0, chainLength).Select(i => i == 0 ? Task(TaskName(i)) : Task(TaskName(i), TaskName(i - 1))).ToList();
        var dag = Dag(RunsName, new DagSpec { Tasks = tasks, MaxActiveRuns = runs, MaxActiveTasksPerRun = chainLength });
        var created = Enumerable.Range(0, runs).Select(i => Run($"{RunsName}-{i:D5}", dag)).ToList();
        return new Scenario(RunsName, [dag], created, runs, chainLength, TimedFromDag: false, OperatorFlags: []);
    }

    /// <summary>
    /// A cron Dag (every minute, catchup) whose <paramref name="runs"/> schedule points all lie in the past: startDate
    /// and endDate (inclusive) bound them exactly, so no new minute adds a run while the scenario runs. The operator may
    /// create every missed run in one pass (--max-catchup-runs).
    /// </summary>
    public static Scenario Catchup(int runs, DateTimeOffset now)
    {
        var lastMinute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(-1);
        var dag = Dag(CatchupName, new DagSpec
        {
            Schedule = "* * * * *",
            Catchup = true,
            StartDate = lastMinute.AddMinutes(-(runs - 1)),
            EndDate = lastMinute,
            MaxActiveRuns = runs,
            Tasks = [Task("extract"), Task("load", "extract")],
        });
        return new Scenario(CatchupName, [dag], [], runs, TasksPerRun: 2, TimedFromDag: true,
            OperatorFlags: ["--max-catchup-runs", runs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private static Scenario SingleRun(string name, List<TaskSpec> tasks)
    {
        var dag = Dag(name, new DagSpec { Tasks = tasks, MaxActiveTasksPerRun = tasks.Count });
        return new Scenario(name, [dag], [Run($"{name}-run", dag)], ExpectedRuns: 1, tasks.Count, TimedFromDag: false, OperatorFlags: []);
    }

    private static string TaskName(int index) => $"t{index:D5}";

    private static TaskSpec Task(string name, params string[] dependsOn) => new()
    {
        Name = name,
        Command = Command,
        DependsOn = dependsOn.Length == 0 ? null : [.. dependsOn],
    };

    private static Dag Dag(string name, DagSpec spec) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Scenario.Namespace },
        Spec = spec with { Defaults = new TaskDefaults { Image = Image } },
    };

    private static DagRun Run(string name, Dag dag) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = Scenario.Namespace },
        Spec = new DagRunSpec { DagName = dag.Metadata.Name! },
    };
}
