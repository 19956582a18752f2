using System.Diagnostics;

namespace K8sFlow.LocalCluster.Tests.Support;

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the real kubectl against a test cluster (its kubeconfig, its own HOME for the discovery cache).</summary>
public static class Kubectl
{
    public const string Path = "/usr/bin/kubectl";

    public static bool IsInstalled => File.Exists(Path);

    public static async Task<KubectlResult> RunWithInputAsync(TestCluster cluster, string? stdin, params string[] args)
    {
        using var process = Process.Start(StartInfo(cluster, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(" ", args)} did not finish in 90 s\nrequests:\n{cluster.RequestLog()}");
        }
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<KubectlResult> RunAsync(TestCluster cluster, params string[] args) => RunWithInputAsync(cluster, null, args);

    /// <summary>Starts a long-running kubectl (get -w, logs -f) whose output is read line by line.</summary>
    public static RunningKubectl Start(TestCluster cluster, params string[] args) => new(Process.Start(StartInfo(cluster, args))!);

    private static ProcessStartInfo StartInfo(TestCluster cluster, string[] args)
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
        start.Environment["KUBECONFIG"] = cluster.KubeconfigPath;
        start.Environment["HOME"] = cluster.Directory;
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        return start;
    }
}

/// <summary>A kubectl that keeps running; disposing kills it.</summary>
public sealed class RunningKubectl : IDisposable
{
    private readonly Process process;
    private readonly Task<string> _stderr;

    public RunningKubectl(Process process)
    {
        this.process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }


    /// <summary>The next line of stdout, or null when kubectl exited.</summary>
    public async Task<string?> NextLineAsync()
    {
        using var timeout = new CancellationTokenSource(Patience.Bound);
        return await process.StandardOutput.ReadLineAsync(timeout.Token);
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
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
