using K8sFlow.Cli.Local;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Tests.Shared;

namespace K8sFlow.Cli.Tests.Dev;

/// <summary>
/// The session a user has with <c>k8sflow dev</c>: the environment started in-process on a random port
/// in a temporary data directory, and the real kubectl pointed at the kubeconfig it wrote.
/// </summary>
public sealed class DevKubectlTests : IAsyncLifetime
{
    private readonly DevDirectory _directory = new();
    private LocalEnvironment _environment = null!;

    public async Task InitializeAsync() => _environment = await _directory.StartAsync();

    public async Task DisposeAsync()
    {
        await _environment.DisposeAsync();
        _directory.Dispose();
    }

    private static string Sample(string name) => RepoFiles.PathOf(Path.Combine("config", "samples", name));

    private const string SmallDag = """
        apiVersion: k8sflow.io/v1alpha1
        kind: Dag
        metadata:
          name: nightly
        spec:
          schedule: "0 2 * * *"
          startDate: "2026-01-01T00:00:00Z"
          tasks:
            - name: extract
              image: busybox:1.36
              command: [echo, extract]
        """;

    private async Task<KubectlResult> OkAsync(string? stdin, params string[] args)
    {
        var result = await Kubectl.RunWithInputAsync(_directory, stdin, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(" ", args)} failed: {result}\n{_directory.Diagnostics()}");
        return result;
    }

    private static string[] Lines(KubectlResult result) => result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("dags.k8sflow.io")]
    [InlineData("dagruns.k8sflow.io")]
    public async Task Crds_AreInstalledAndEstablished(string crd)
    {
        var result = await OkAsync(null, "get", "crd", crd, "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}");

        result.Stdout.Should().Be("True");
    }

    [Fact]
    public async Task ApplyHelloWorld_GetDagsShowsPrinterColumns_AndJsonPathReadsTheSpec()
    {
        var applied = await OkAsync(null, "apply", "-f", Sample("hello-world.yaml"));
        var table = await OkAsync(null, "get", "dags");
        var taskName = await OkAsync(null, "get", "dag", "hello-world", "-o", "jsonpath={.spec.tasks[0].name}");

        applied.Stdout.Trim().Should().Be("dag.k8sflow.io/hello-world created");
        Lines(table)[0].Should().MatchRegex(@"^NAME\s+SCHEDULE\s+PAUSED\s+LAST RUN\s+NEXT RUN\s+AGE$");
        Lines(table)[1].Should().MatchRegex(@"^hello-world\s+.*\d+s$");
        taskName.Stdout.Should().Be("hello");
    }

    [Theory]
    [InlineData("retries: -1", "spec.tasks[0].retries", "-1")]
    [InlineData("triggerRule: all_sucess", "spec.tasks[0].triggerRule", "all_sucess")]
    public async Task InvalidDag_IsRefused_NamingTheFieldAndTheValue(string badLine, string field, string value)
    {
        var manifest = SmallDag.Replace("      command: [echo, extract]", "      command: [echo, extract]\n      " + badLine);

        var result = await Kubectl.RunWithInputAsync(_directory, manifest, "apply", "-f", "-");

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("The Dag \"nightly\" is invalid").And.Contain(field).And.Contain(value);
        (await Kubectl.RunAsync(_directory, "get", "dag", "nightly")).ExitCode.Should().NotBe(0, "nothing was stored");
    }

    [Fact]
    public async Task CreateDagRunWithGenerateName_GetByShortNameShowsTheRun()
    {
        var created = await OkAsync(null, "create", "-f", Sample("ml-pipeline-run.yaml"));
        var table = await OkAsync(null, "get", "dr");

        created.Stdout.Trim().Should().MatchRegex(@"^dagrun\.k8sflow\.io/ml-pipeline-manual-[a-z0-9]{5} created$");
        var name = created.Stdout.Trim().Split('/', ' ')[1];
        Lines(table)[0].Should().MatchRegex(@"^NAME\s+DAG\s+PHASE\s+PROGRESS\s+LOGICAL DATE\s+STARTED\s+AGE$");
        Lines(table)[1].Should().MatchRegex($@"^{name}\s+ml-pipeline\s+");
    }

    [Fact]
    public async Task ServerSideApply_CreatesThenUpdates_AndGetShowsTheNewSchedule()
    {
        var created = await OkAsync(SmallDag, "apply", "--server-side", "-f", "-");
        var updated = await OkAsync(SmallDag.Replace("0 2 * * *", "30 3 * * *"), "apply", "--server-side", "-f", "-");
        var row = await OkAsync(null, "get", "dag", "nightly", "--no-headers");
        var generation = await OkAsync(null, "get", "dag", "nightly", "-o", "jsonpath={.metadata.generation}");

        created.Stdout.Trim().Should().Be("dag.k8sflow.io/nightly serverside-applied");
        updated.Stdout.Trim().Should().Be("dag.k8sflow.io/nightly serverside-applied");
        row.Stdout.Should().MatchRegex(@"^nightly\s+30 3 \* \* \*\s+");
        generation.Stdout.Should().Be("2");
    }

    [Fact]
    public async Task DeleteDag_RemovesIt()
    {
        await OkAsync(null, "apply", "-f", Sample("hello-world.yaml"));

        var deleted = await OkAsync(null, "delete", "dag", "hello-world");
        var get = await Kubectl.RunAsync(_directory, "get", "dag", "hello-world");

        deleted.Stdout.Trim().Should().Be("dag.k8sflow.io \"hello-world\" deleted");
        get.ExitCode.Should().NotBe(0);
        get.Stderr.Should().Contain("NotFound");
    }

    [Fact]
    public async Task HelloWorldRun_RunsItsTaskAsAProcess_AndKubectlShowsSucceededProgressAndLogs()
    {
        await OkAsync(null, "apply", "-f", Sample("hello-world.yaml"));
        var created = await OkAsync(null, "create", "-f", Sample("hello-world-run.yaml"), "-o", "name");
        var run = created.Stdout.Trim(); // dagrun.k8sflow.io/hello-world-xxxxx

        await OkAsync(null, "wait", "--for=jsonpath={.status.phase}=Succeeded", run, "--timeout=90s");

        var row = Lines(await OkAsync(null, "get", "dagruns", "--no-headers")).Single(l => l.StartsWith(run.Split('/')[1], StringComparison.Ordinal));
        row.Should().Contain("hello-world").And.Contain("Succeeded").And.Contain("1/1");
        var job = (await OkAsync(null, "get", run, "-o", "jsonpath={.status.tasks[0].job}")).Stdout;
        job.Should().NotBeEmpty();
        var logs = await OkAsync(null, "logs", "job/" + job);
        logs.Stdout.Should().Contain("hello from run manual__");
    }
}
