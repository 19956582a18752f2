using K8sFlow.Cli.Local;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Kubernetes.Crds;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Tests.Shared;

namespace K8sFlow.Cli.Tests.Dev;

/// <summary>Start, stop and restart of the local environment: what k8sflow dev, run and the operator rely on.</summary>
public sealed class LocalEnvironmentTests : IDisposable
{
    private readonly DevDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Start_InstallsEstablishedCrds_WritesAKubeconfigForIt_AndAGitignoreInTheDataDirectory()
    {
        await using var environment = await _directory.StartAsync();

        environment.Crds.Select(c => c.Metadata.Name).Should().Equal("dags.k8sflow.io", "dagruns.k8sflow.io");
        environment.Crds.Should().OnlyContain(c => CrdInstaller.IsEstablished(c));
        environment.KubeconfigPath.Should().Be(_directory.KubeconfigPath);
        environment.ServerAddress.Host.Should().Be("127.0.0.1");
        var kubeconfig = File.ReadAllText(environment.KubeconfigPath);
        kubeconfig.Should().Contain($"server: https://127.0.0.1:{environment.ServerAddress.Port}").And.Contain("current-context: k8sflow-dev");
        File.ReadAllText(Path.Combine(_directory.DataDirectory, ".gitignore")).Should().Contain("*");
    }

    [Fact]
    public async Task StopAndRestartOnTheSameDataDirectory_KeepsTheDag_AndTheKubeconfigExistsOnlyWhileServing()
    {
        await using (var first = await _directory.StartAsync())
        {
            var applied = await Kubectl.RunAsync(_directory, "apply", "-f", RepoFiles.PathOf("config/samples/hello-world.yaml"));
            applied.ExitCode.Should().Be(0, applied.ToString());
        }
        var kubeconfigWhileStopped = File.Exists(_directory.KubeconfigPath);
        await using var second = await _directory.StartAsync();

        var dag = await second.Client.GetAsync(KubeKinds.Dag, "default", "hello-world", new CancellationTokenSource(Kubectl.RunTimeout).Token);
        var got = await Kubectl.RunAsync(_directory, "get", "dag", "hello-world", "-o", "jsonpath={.spec.tasks[0].name}");

        kubeconfigWhileStopped.Should().BeFalse("a clean stop removes the kubeconfig of a server that no longer serves");
        dag.Spec.Tasks.Select(t => t.Name).Should().Equal("hello");
        got.Stdout.Should().Be("hello", got.ToString());
        File.Exists(Path.Combine(_directory.DataDirectory, "cluster-state.json")).Should().BeTrue();
    }

    [Fact]
    public async Task KubeconfigPathHoldingAnotherKubeconfig_IsRefused_AndLeftAlone()
    {
        Directory.CreateDirectory(_directory.DataDirectory);
        const string users = """
            apiVersion: v1
            kind: Config
            clusters: [{name: prod, cluster: {server: "https://prod.example:6443"}}]
            users: [{name: prod, user: {token: secret}}]
            contexts: [{name: prod, context: {cluster: prod, user: prod}}]
            current-context: prod
            """;
        File.WriteAllText(_directory.KubeconfigPath, users);

        var start = async () => await _directory.StartAsync();

        (await start.Should().ThrowAsync<LocalEnvironmentException>()).Which.Message.Should().Contain(_directory.KubeconfigPath).And.Contain("--kubeconfig");
        File.ReadAllText(_directory.KubeconfigPath).Should().Be(users);
    }

    [Fact]
    public async Task KubeconfigLeftByACrashedRun_IsReplaced()
    {
        await using (var crashed = await _directory.StartAsync())
        {
            File.Copy(crashed.KubeconfigPath, _directory.KubeconfigPath + ".left", overwrite: true);
        }
        File.Move(_directory.KubeconfigPath + ".left", _directory.KubeconfigPath);

        await using var environment = await _directory.StartAsync();
        var version = await Kubectl.RunAsync(_directory, "get", "namespaces", "default", "-o", "name");

        version.Stdout.Trim().Should().Be("namespace/default", version.ToString());
    }
}
