namespace K8sFlow.Cli.Tests.Day2;

/// <summary>Cluster connection failures are one line naming the cause, never a stack trace.</summary>
public sealed class ClusterOptionsTests
{
    [Theory]
    [InlineData("runs")]
    [InlineData("status", "some-run")]
    [InlineData("trigger", "some-dag")]
    public void MissingKubeconfig_OneLineNamingTheFile_ExitOne(params string[] args)
    {
        var path = Path.Combine(Path.GetTempPath(), $"k8sflow-missing-{Guid.NewGuid():N}", "config");

        var result = CliRunner.Run([.. args, "--kubeconfig", path]);

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith($"k8sflow {args[0]}: ").And.Contain(path);
    }

    [Fact]
    public void UnreachableCluster_OneLineNamingTheContext_ExitOne()
    {
        var directory = Directory.CreateTempSubdirectory("k8sflow-unreachable-").FullName;
        var kubeconfig = Path.Combine(directory, "config");
        File.WriteAllText(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
            users: [{name: gone, user: {token: t}}]
            contexts: [{name: gone, context: {cluster: gone, user: gone, namespace: team}}]
            current-context: gone
            """);
        try
        {
            var result = CliRunner.Run(["runs", "--kubeconfig", kubeconfig]);

            result.ExitCode.Should().Be(1);
            result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("k8sflow runs: cannot reach the cluster (kubeconfig context 'gone')");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void UnknownContext_OneLine_ExitOne()
    {
        var directory = Directory.CreateTempSubdirectory("k8sflow-context-").FullName;
        var kubeconfig = Path.Combine(directory, "config");
        File.WriteAllText(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: real, context: {cluster: c, user: u}}]
            current-context: real
            """);
        try
        {
            var result = CliRunner.Run(["runs", "--kubeconfig", kubeconfig, "--context", "imaginary"]);

            result.ExitCode.Should().Be(1);
            result.ErrorLines.Should().ContainSingle().Which.Should().Contain("imaginary");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
