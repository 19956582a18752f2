using System.Diagnostics;

namespace K8sFlow.Tests.Shared;

// One kubectl runner for every test project that drives the real kubectl: projects link this file
// (<Compile Include="..\Shared\Kubectl.cs" Link="Shared\Kubectl.cs" />) instead of copying it.

/// <summary>What kubectl runs against: a kubeconfig, a HOME of its own (its discovery cache), and what to show when a run fails.</summary>
public interface IKubectlTarget
{
    string KubeconfigPath { get; }

    /// <summary>kubectl's HOME: a directory of the test, so no test shares or pollutes a discovery cache.</summary>
    string HomeDirectory { get; }

    /// <summary>What helps diagnose a kubectl run that failed or hung, e.g. the requests the server saw.</summary>
    string Diagnostics();
}

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the real kubectl against a test cluster (its kubeconfig, its own HOME for the discovery cache).</summary>
public static class Kubectl
{
    public const string Path = "/usr/bin/kubectl";

    /// <summary>Bound of one kubectl run: generous, the machines running the tests are loaded.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Bound of the wait for the next line of a long-running kubectl.</summary>
    public static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(20);

    public static bool IsInstalled => File.Exists(Path);

    public static async Task<KubectlResult> RunWithInputAsync(IKubectlTarget target, string? stdin, params string[] args)
    {
        using var process = Process.Start(StartInfo(target, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(" ", args)} did not finish in {RunTimeout.TotalSeconds:0} s\n{target.Diagnostics()}");
        }
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<KubectlResult> RunAsync(IKubectlTarget target, params string[] args) => RunWithInputAsync(target, null, args);

    /// <summary>Starts a long-running kubectl (get -w, logs -f) whose output is read line by line.</summary>
    public static RunningKubectl Start(IKubectlTarget target, params string[] args) => new(Process.Start(StartInfo(target, args))!);

    private static ProcessStartInfo StartInfo(IKubectlTarget target, string[] args)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["KUBECONFIG"] = target.KubeconfigPath;
        start.Environment["HOME"] = target.HomeDirectory;
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        return start;
    }
}

/// <summary>A kubectl that keeps running; disposing kills it.</summary>
public sealed class RunningKubectl : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    public RunningKubectl(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The next line of stdout, or null when kubectl exited.</summary>
    public async Task<string?> NextLineAsync()
    {
        using var timeout = new CancellationTokenSource(Kubectl.LineTimeout);
        return await _process.StandardOutput.ReadLineAsync(timeout.Token);
    }

    public async Task<string> NextLineMatchingAsync(Func<string, bool> predicate)
    {
        while (true)
        {
            var line = await NextLineAsync() ?? throw new InvalidOperationException($"kubectl exited: {await _stderr}");
            if (predicate(line))
            {
                return line;
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }
}
