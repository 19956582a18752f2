using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Core.Tests.Crds;

namespace K8sFlow.Cli.Tests.LocalRuns;

/// <summary>
/// <c>k8sflow run</c> in-process on small Dags whose tasks are real <c>sh</c> processes run by the local job runner,
/// and on the ML pipeline sample with real scikit-learn. Every run is bounded by --timeout.
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private const string Timeout = "2m";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k8sflow-run-tests-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Run_OutputPassedDownstream_SucceedsWithSummary()
    {
        var file = Write("""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata:
              name: outputs
            spec:
              defaults:
                image: busybox
              tasks:
                - name: produce
                  command: [sh, -c, 'printf "{\"rows\": 42}" > "$K8SFLOW_OUTPUT"']
                - name: consume
                  dependsOn: [produce]
                  command: [sh, -c, 'test "$0" = 42', "{{ tasks.produce.outputs.rows }}"]
            """);

        var outcome = CliRunner.Run("run", file, "--timeout", Timeout);

        outcome.ExitCode.Should().Be(0, outcome.Error);
        outcome.Output.Should().Contain("of dag outputs: Succeeded");
        outcome.OutputLines.Should().Contain(l => l.StartsWith("consume") && l.Contains("success"));
        outcome.OutputLines.Should().Contain(l => l.StartsWith("produce") && l.EndsWith("rows=42"));
    }

    [Fact]
    public void Run_FailingTaskWithRetries_Exit1AndPrintsItsLog()
    {
        var file = Write("""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata:
              name: failing
            spec:
              defaults:
                image: busybox
              tasks:
                - name: flaky
                  retries: 1
                  retryDelay: 0s
                  command: [sh, -c, 'echo "disk-full-on-try-$K8SFLOW_TRY_NUMBER" >&2; exit 3']
                - name: after
                  dependsOn: [flaky]
                  command: [sh, -c, 'exit 0']
            """);

        var outcome = CliRunner.Run("run", file, "--timeout", Timeout);

        outcome.ExitCode.Should().Be(1);
        outcome.Error.Should().Contain("--- log of task flaky (try 2").And.Contain("disk-full-on-try-2");
        outcome.Output.Should().Contain("of dag failing: Failed");
        outcome.OutputLines.Should().Contain(l => l.StartsWith("flaky") && l.Contains("failed") && l.Contains(" 2 "));
        outcome.OutputLines.Should().Contain(l => l.StartsWith("after") && l.Contains("upstream_failed"));
    }

    [Fact]
    public void Run_ParamOverridesDefault_TaskSeesIt()
    {
        var outcome = CliRunner.Run("run", ParamsDag(), "-p", "who=bob", "-p", "count=3", "--timeout", Timeout);

        outcome.ExitCode.Should().Be(0, outcome.Error);
    }

    [Fact]
    public void Run_WithoutParams_TaskSeesDefaults()
    {
        // The task checks for bob and 3: with the defaults (world, 1) it fails, so this proves -p was needed above.
        var outcome = CliRunner.Run("run", ParamsDag(), "--timeout", Timeout);

        outcome.ExitCode.Should().Be(1);
        outcome.Error.Should().Contain("got world 1");
    }

    [Theory]
    [InlineData("count=abc", "param count")]
    [InlineData("count=99", "param count")]
    [InlineData("nope=1", "param nope")]
    [InlineData("who", "param who")]
    public void Run_InvalidParam_Exit2NamingItAndNoRun(string assignment, string named)
    {
        var outcome = CliRunner.Run("run", ParamsDag(), "-p", assignment, "--timeout", Timeout);

        outcome.ExitCode.Should().Be(2);
        outcome.Error.Should().Contain(named).And.Contain("no run created");
        outcome.Error.Should().NotContain("Running dag");
        outcome.Output.Should().BeEmpty();
    }

    [Fact]
    public void Run_Branch_RunsChosenSkipsOther_JsonIsTheFinalDagRun()
    {
        var file = Write("""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata:
              name: branching
            spec:
              defaults:
                image: busybox
              tasks:
                - name: choose
                  type: branch
                  command: [sh, -c, 'printf "{\"branch\": \"left\"}" > "$K8SFLOW_OUTPUT"']
                - name: left
                  dependsOn: [choose]
                  command: [sh, -c, 'exit 0']
                - name: right
                  dependsOn: [choose]
                  command: [sh, -c, 'exit 1']
            """);

        var outcome = CliRunner.Run("run", file, "--output", "json", "--timeout", Timeout);

        outcome.ExitCode.Should().Be(0, outcome.Error);
        var run = JsonSerializer.Deserialize<DagRun>(outcome.Output, K8sFlowJson.Options)!;
        run.Kind.Should().Be("DagRun");
        run.Status!.Phase.Should().Be(RunPhase.Succeeded);
        run.Status.Tasks!.ToDictionary(t => t.Name, t => t.State).Should().BeEquivalentTo(new Dictionary<string, TaskState>
        {
            ["choose"] = TaskState.Success,
            ["left"] = TaskState.Success,
            ["right"] = TaskState.Skipped,
        });
        outcome.Error.Should().Contain("of dag branching: Succeeded", "the summary goes to stderr with --output json");
    }

    [Theory]
    [InlineData("broken.yaml")]
    [InlineData("cyclic.yaml")]
    public void Run_InvalidManifest_Exit2(string name)
    {
        var outcome = CliRunner.Run("run", CliRunner.TestData(name), "--timeout", Timeout);

        outcome.ExitCode.Should().Be(2);
        outcome.Error.Should().Contain(name);
        outcome.Error.Should().NotContain("Running dag");
    }

    [Fact]
    public void Run_FileWithSeveralDagsWithoutDag_Exit2AskingForDag()
    {
        var outcome = CliRunner.Run("run", CliRunner.TestData("multi.yaml"), "--timeout", Timeout);

        outcome.ExitCode.Should().Be(2);
        outcome.Error.Should().Contain("choose one with --dag");
    }

    [Fact]
    public void Run_LongerThanTimeout_Exit1SayingSoAndNothingLeftRunning()
    {
        var file = Write("""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata:
              name: slow
            spec:
              defaults:
                image: busybox
              tasks:
                - name: wait
                  command: [sleep, "61.4242"]
            """);

        var outcome = CliRunner.Run("run", file, "--timeout", "2s");

        outcome.ExitCode.Should().Be(1);
        outcome.Error.Should().Contain("timed out after 2s");
        outcome.Output.Should().Contain("of dag slow: Running");
        ProcessesWith("61.4242").Should().BeEmpty("the environment is stopped, and with it every task process");
    }

    [Fact]
    public void Run_MlPipelineSample_RegistersTheModelWithItsAccuracy()
    {
        var outcome = CliRunner.Run("run", RepoFiles.PathOf("config/samples/ml-pipeline.yaml"),
            "-p", "dataset=iris", "-p", "threshold=0.5", "--output", "json", "--timeout", "5m");

        outcome.ExitCode.Should().Be(0, outcome.Error);
        var run = JsonSerializer.Deserialize<DagRun>(outcome.Output, K8sFlowJson.Options)!;
        run.Status!.Phase.Should().Be(RunPhase.Succeeded);
        var tasks = run.Status.Tasks!.ToDictionary(t => t.Name);
        var accuracy = double.Parse(tasks["model_evaluation"].Outputs!["accuracy"], System.Globalization.CultureInfo.InvariantCulture);
        accuracy.Should().BeInRange(0, 1);
        tasks["model_registry"].State.Should().Be(TaskState.Success);
        tasks["notify_low_accuracy"].State.Should().Be(TaskState.Skipped);
        tasks["model_registry"].Outputs!["model_name"].Should().Be("iris_classifier");
    }

    /// <summary>A Dag whose task succeeds only when run with who=bob and count=3.</summary>
    private string ParamsDag() => Write("""
        apiVersion: k8sflow.io/v1alpha1
        kind: Dag
        metadata:
          name: params
        spec:
          params:
            who: {type: string, default: world}
            count: {type: integer, default: 1, minimum: 1, maximum: 10}
          defaults:
            image: busybox
          tasks:
            - name: greet
              retries: 0
              command: [sh, -c, 'echo "got $0 $1"; test "$0 $1" = "bob 3"', "{{ params.who }}", "{{ params.count }}"]
        """);

    /// <summary>Processes whose command line contains <paramref name="marker"/> (zombies have an empty one).</summary>
    private static List<string> ProcessesWith(string marker) =>
        Directory.EnumerateDirectories("/proc")
            .Where(dir => Path.GetFileName(dir).All(char.IsAsciiDigit))
            .Select(dir => ReadOrEmpty(Path.Combine(dir, "cmdline")).Replace('\0', ' '))
            .Where(commandLine => commandLine.Contains(marker, StringComparison.Ordinal))
            .ToList();

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ""; // the process ended meanwhile
        }
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir.FullName, $"dag-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }
}
