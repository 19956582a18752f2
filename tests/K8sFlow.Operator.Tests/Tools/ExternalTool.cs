using System.Diagnostics;
using K8sFlow.Core.Tests.Crds;

namespace K8sFlow.Operator.Tests.Tools;

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>stdout and stderr, for assertion messages.</summary>
    public string Output => $"{StandardOutput}\n{StandardError}".Trim();
}

/// <summary>
/// The real command-line tools the tests drive (helm, promtool). `make deps` installs them and the
/// Makefile exports their paths; a missing tool fails the test with the fix, it never skips it.
/// </summary>
public sealed class ExternalTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private ExternalTool(string path) => Path = path;

    /// <summary>helm 3 from K8SFLOW_HELM, else the repository's .tools/helm (`make deps` puts it there).</summary>
    public static ExternalTool Helm { get; } = new(Environment.GetEnvironmentVariable("K8SFLOW_HELM") is { Length: > 0 } helm
        ? helm
        : RepoFiles.PathOf(".tools/helm"));

    /// <summary>promtool from K8SFLOW_PROMTOOL, else PATH (Debian's prometheus package).</summary>
    public static ExternalTool Promtool { get; } = new(Environment.GetEnvironmentVariable("K8SFLOW_PROMTOOL") is { Length: > 0 } promtool
        ? promtool
        : "promtool");

    /// <summary>Any executable (a repository script).</summary>
    public static ExternalTool At(string path) => new(path);

    public string Path { get; }

    public async Task<ToolResult> RunAsync(IEnumerable<string> arguments, string? standardInput = null)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoFiles.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = StartOrExplain(start);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(timeout.Token);
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and demands exit code 0; returns stdout.</summary>
    public async Task<string> RunSuccessfullyAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        result.ExitCode.Should().Be(0, $"`{System.IO.Path.GetFileName(Path)} {string.Join(' ', arguments)}` failed:\n{result.Output}");
        return result.StandardOutput;
    }

    private Process StartOrExplain(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"{Path} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{Path} not found or not executable ({e.Message}): run `make deps`, which installs helm into .tools/ and promtool with apt", e);
        }
    }
}
