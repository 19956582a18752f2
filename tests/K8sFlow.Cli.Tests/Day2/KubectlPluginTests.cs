using System.Diagnostics;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Tests.Shared;

namespace K8sFlow.Cli.Tests.Day2;

/// <summary><c>kubectl dag ...</c>: the kubectl-dag script <c>make build</c> writes runs k8sflow with kubectl's arguments.</summary>
public sealed class KubectlPluginTests
{
    [Fact]
    public async Task KubectlDag_TheScriptMakeBuildWrites_RunsK8sflowWithTheArguments_AndHonoursKUBECONFIG()
    {
        await using var env = await Day2Environment.StartAsync();
        await env.CreateDagAsync(Day2Environment.ChainDag("etl", "extract"));
        var run = (await env.CliAsync("trigger", "etl")).OutputLines.Single();
        var bin = Directory.CreateTempSubdirectory("k8sflow-plugin-").FullName;
        try
        {
            // The k8sflow next to the script stands for bin/k8sflow: the CLI built with these tests.
            var k8sflow = Path.Combine(bin, "k8sflow");
            await File.WriteAllTextAsync(k8sflow, $"#!/bin/sh\nexec \"{Path.Combine(AppContext.BaseDirectory, "k8sflow")}\" \"$@\"\n");
            (await RunAsync("chmod", ["+x", k8sflow], bin, null)).ExitCode.Should().Be(0);
            var makeBuild = await RunAsync("make", ["-n", "build", $"BIN={bin}"], RepoFiles.Root, null);
            var writeScript = makeBuild.Stdout.Split('\n').Single(line => line.Contains("kubectl-dag", StringComparison.Ordinal) && line.StartsWith("printf", StringComparison.Ordinal));
            (await RunAsync("bash", ["-c", writeScript], RepoFiles.Root, null)).ExitCode.Should().Be(0);

            var result = await RunAsync(Kubectl.Path, ["dag", "runs", "etl"], bin, new Dictionary<string, string>
            {
                ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
                ["KUBECONFIG"] = env.KubeconfigPath,
                ["HOME"] = bin,
            });

            result.ExitCode.Should().Be(0, result.Stderr);
            result.Stdout.Should().Contain(run);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] args, string directory,
        Dictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(Day2Environment.Deadline());
        return (process.ExitCode, await stdout, await stderr);
    }
}
