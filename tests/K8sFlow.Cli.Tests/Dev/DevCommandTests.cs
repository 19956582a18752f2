using System.Diagnostics;
using K8sFlow.Cli.Commands;
using K8sFlow.Tests.Shared;

namespace K8sFlow.Cli.Tests.Dev;

/// <summary><c>k8sflow dev</c>: what it prints, and that it stops cleanly, in-process and as the real process on a signal.</summary>
public sealed class DevCommandTests : IDisposable
{
    private readonly DevDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A writer whose text can be awaited: the command's output is read as it is written, not after a sleep.</summary>
    private sealed class WatchedWriter : StringWriter
    {
        private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

        public Task SeenAsync(string text)
        {
            lock (_waiters)
            {
                var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((text, seen));
                Check();
                return seen.Task.WaitAsync(Kubectl.RunTimeout);
            }
        }

        public override void Write(char value)
        {
            lock (_waiters)
            {
                base.Write(value);
                Check();
            }
        }

        public override void Write(string? value)
        {
            lock (_waiters)
            {
                base.Write(value);
                Check();
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_waiters)
            {
                base.Write(buffer, index, count);
                Check();
            }
        }

        private void Check()
        {
            var text = ToString();
            foreach (var waiter in _waiters.Where(w => text.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult();
            }
        }
    }

    [Fact]
    public async Task Run_PrintsHowToUseTheCluster_OnceReady_ThenStopsCleanlyWhenCancelled()
    {
        var output = new WatchedWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();

        var running = DevCommand.RunAsync(_directory.Options, output, error, stop.Token);
        await output.SeenAsync("Press Ctrl-C");
        var printed = output.ToString();
        var kubectl = await Kubectl.RunAsync(_directory, "get", "crd", "dags.k8sflow.io", "-o", "name");
        await stop.CancelAsync();
        var exitCode = await running.WaitAsync(Kubectl.RunTimeout);

        printed.Should().Contain($"export KUBECONFIG={_directory.KubeconfigPath}\n")
            .And.Contain("kubectl create -f config/samples/hello-world-run.yaml").And.Contain("kubectl get dagruns -w")
            .And.Contain("dags.k8sflow.io, dagruns.k8sflow.io")
            .And.MatchRegex(@"ready at https://127\.0\.0\.1:\d+/");
        kubectl.Stdout.Trim().Should().Be("customresourcedefinition.apiextensions.k8s.io/dags.k8sflow.io", kubectl.ToString());
        exitCode.Should().Be(ExitCodes.Ok);
        error.ToString().Should().BeEmpty();
        output.ToString().Should().EndWith($"Stopped. Objects saved in {_directory.DataDirectory}.\n");
        File.Exists(_directory.KubeconfigPath).Should().BeFalse();
    }

    [Fact]
    public void Dev_KubeconfigPathOfAnotherKubeconfig_ExitsInvalid_NamingTheFile()
    {
        var kubeconfig = Path.Combine(_directory.Root, "config");
        File.WriteAllText(kubeconfig, "apiVersion: v1\nkind: Config\ncontexts: [{name: prod, context: {cluster: prod, user: prod}}]\n");

        var result = CliRunner.Run("dev", "--data-dir", _directory.DataDirectory, "--kubeconfig", kubeconfig);

        result.ExitCode.Should().Be(ExitCodes.Invalid);
        result.Error.Should().StartWith($"k8sflow dev: '{kubeconfig}' is a kubeconfig k8sflow dev did not write");
        result.Output.Should().BeEmpty();
    }

    [Theory]
    [InlineData("--port", "70000", "--port must be between 0 and 65535")]
    [InlineData("--port", "-1", "--port must be between 0 and 65535")]
    public void Dev_BadPort_IsAUsageError(string option, string value, string message)
    {
        var result = CliRunner.Run("dev", "--data-dir", _directory.DataDirectory, option, value);

        result.ExitCode.Should().NotBe(ExitCodes.Ok);
        result.Error.Should().Contain(message);
        Directory.Exists(_directory.DataDirectory).Should().BeFalse("nothing starts on a usage error");
    }

    // SIGTERM (what Kubernetes, systemd and `kill` send). Ctrl-C's SIGINT takes the same path in
    // System.CommandLine, but a child of a non-interactive background shell inherits SIGINT ignored,
    // so a test sending it would depend on how the test run was started.
    [Fact]
    public async Task TheRealProcess_OnSigterm_StopsCleanly_SavesTheObjects_AndRemovesTheKubeconfig()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory.Root,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "k8sflow.dll"), "dev", "--data-dir", _directory.DataDirectory })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            await ReadUntilAsync(process.StandardOutput, "Press Ctrl-C");
            var applied = await Kubectl.RunWithInputAsync(_directory, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kept}\n", "apply", "-f", "-");
            applied.ExitCode.Should().Be(0, applied.ToString());

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }
            var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(Kubectl.RunTimeout);
            await process.WaitForExitAsync().WaitAsync(Kubectl.RunTimeout);

            process.ExitCode.Should().Be(0, await stderr);
            rest.Should().Contain("Stopped. Objects saved in");
            File.Exists(_directory.KubeconfigPath).Should().BeFalse();
            File.ReadAllText(Path.Combine(_directory.DataDirectory, "cluster-state.json")).Should().Contain("\"kept\"");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task ReadUntilAsync(StreamReader reader, string marker)
    {
        using var timeout = new CancellationTokenSource(Kubectl.RunTimeout);
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return;
            }
        }
        throw new InvalidOperationException($"k8sflow dev exited before printing '{marker}'");
    }
}
