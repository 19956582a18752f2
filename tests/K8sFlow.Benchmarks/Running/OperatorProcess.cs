using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace K8sFlow.Benchmarks.Running;

/// <summary>What the operator process used, read from /proc before it was stopped.</summary>
public sealed record OperatorUsage(double PeakRssMiB, double CpuSeconds, string? Metrics);

/// <summary>
/// <c>k8sflow operator</c> as a child process against the benchmark's cluster (KUBECONFIG), so its memory and CPU are
/// its own: leader election off, one namespace, warnings only (to a log file), /metrics on a free port. Samples
/// VmRSS while it runs; <see cref="StopAsync"/> reads VmHWM and CPU time, scrapes /metrics, then kills it.
/// </summary>
public sealed class OperatorProcess : IAsyncDisposable
{
    private static readonly TimeSpan RssSampleInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ReadinessProbeInterval = TimeSpan.FromMilliseconds(100);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly Task _sampling;
    private long _maxSampledRssKiB;
    private int _disposed;

    private OperatorProcess(Process process, StreamWriter log, int metricsPort, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        Exited = process.WaitForExitAsync();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(10) };
        _sampling = SampleRssAsync(_stopSampling.Token);
    }

    /// <summary>Where the operator's output goes (warnings and errors).</summary>
    public string LogPath { get; }

    public int Id => _process.Id;

    /// <summary>Completes when the process exits (a crash while the scenario runs fails it at once).</summary>
    public Task Exited { get; }

    /// <summary>
    /// Starts <c>k8sflow operator</c>. <paramref name="memoryLimitMiB"/>: what .NET does in a container with that memory
    /// limit (a cgroup it reads), done by hand since there is no container here: the GC heap is capped at 75% of it.
    /// </summary>
    public static OperatorProcess Start(string k8sflowPath, string kubeconfigPath, string @namespace, IReadOnlyList<string> extraFlags, string logPath,
        int? memoryLimitMiB = null)
    {
        var metricsPort = FreePort();
        var start = new ProcessStartInfo(k8sflowPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] flags =
        [
            "operator", "--leader-election", "false", "--namespaces", @namespace, "--log-level", "Warning", "--log-format", "Console",
            "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture), .. extraFlags,
        ];
        foreach (var flag in flags)
        {
            start.ArgumentList.Add(flag);
        }
        start.Environment["KUBECONFIG"] = kubeconfigPath;
        if (memoryLimitMiB is { } limit)
        {
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + (limit * 1024L * 1024 * 3 / 4).ToString("x", CultureInfo.InvariantCulture);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {k8sflowPath}");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, line) => Append(log, line.Data);
        process.ErrorDataReceived += (_, line) => Append(log, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new OperatorProcess(process, log, metricsPort, logPath);
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            if (log.BaseStream is not null) // null once disposed: output may trail the kill
            {
                log.WriteLine(line);
            }
        }
    }

    /// <summary>Probes /readyz until the operator's informers have synced and it runs its controllers.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan bound, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(bound);
        using var probe = new PeriodicTimer(ReadinessProbeInterval);
        try
        {
            do
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the operator exited with code {_process.ExitCode} before it was ready; see {LogPath}");
                }
                if (await IsReadyAsync(deadline.Token))
                {
                    return;
                }
            }
            while (await probe.WaitForNextTickAsync(deadline.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the operator was not ready after {bound.TotalSeconds:0} s; see {LogPath}");
        }
    }

    private async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("readyz", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    /// <summary>Scrapes /metrics, reads peak RSS (VmHWM, or the highest VmRSS sample) and CPU time, then kills the process.</summary>
    public async Task<OperatorUsage> StopAsync()
    {
        var metrics = await ScrapeMetricsAsync();
        var peakKiB = Math.Max(ProcStatusKiB("VmHWM") ?? 0, Interlocked.Read(ref _maxSampledRssKiB));
        var cpu = CpuSeconds();
        await DisposeAsync();
        return new OperatorUsage(peakKiB / 1024.0, cpu, metrics);
    }

    private async Task<string?> ScrapeMetricsAsync()
    {
        try
        {
            return await _http.GetStringAsync("metrics");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task SampleRssAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(RssSampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (ProcStatusKiB("VmRSS") is { } rss && rss > Interlocked.Read(ref _maxSampledRssKiB))
                {
                    Interlocked.Exchange(ref _maxSampledRssKiB, rss);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    /// <summary>A "Key:   1234 kB" line of /proc/PID/status, in KiB; null once the process is gone.</summary>
    private long? ProcStatusKiB(string key)
    {
        try
        {
            var line = File.ReadLines($"/proc/{Id}/status").FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>User + system CPU time from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private double CpuSeconds()
    {
        const double ticksPerSecond = 100; // USER_HZ on Linux
        try
        {
            var stat = File.ReadAllText($"/proc/{Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields[0] is field 3 (state)
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stopSampling.CancelAsync();
        await _sampling;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
        _http.Dispose();
        _stopSampling.Dispose();
    }
}
