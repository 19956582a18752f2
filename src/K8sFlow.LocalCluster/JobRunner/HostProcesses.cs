using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// Starts a container's command as a host process and watches it to the end. On Linux the process
/// gets its own session and process group (setsid), so that, like the processes of a container, all it
/// started is killed with it: when it is killed, and when it exits on its own. Every live process is
/// registered so that a stopping runner can kill them all.
/// </summary>
internal sealed class HostProcesses
{
    private const string SetSid = "/usr/bin/setsid";
    private const int SigKill = 9;

    private static readonly bool UseProcessGroups = OperatingSystem.IsLinux() && File.Exists(SetSid);
    private readonly ConcurrentDictionary<int, Process> _live = new();

    /// <summary>Receives each line of stdout and stderr as it is written.</summary>
    public delegate void LineSink(string line);

    /// <summary>Processes running now.</summary>
    public int Count => _live.Count;

    public ContainerStart Start(ContainerLaunch launch, LineSink output, TimeProvider time, CancellationToken kill)
    {
        if (launch.Error is { } error)
        {
            return new ContainerStart.Failed(error);
        }
        var executable = Resolve(launch.Command[0], launch.Environment.GetValueOrDefault("PATH") ?? "", launch.WorkingDirectory, out var notFound);
        if (executable is null)
        {
            return new ContainerStart.Failed(notFound!);
        }
        var start = new ProcessStartInfo(UseProcessGroups ? SetSid : executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = launch.WorkingDirectory,
        };
        if (UseProcessGroups)
        {
            start.ArgumentList.Add("--wait");
            start.ArgumentList.Add(executable);
        }
        foreach (var arg in launch.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Clear();
        foreach (var (name, value) in launch.Environment)
        {
            start.Environment[name] = value;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(launch.TerminationMessageFile)!);
        File.WriteAllBytes(launch.TerminationMessageFile, []);
        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            return new ContainerStart.Failed($"failed to start {launch.Command[0]}: {e.Message}");
        }
        _live[process.Id] = process;
        var startedAt = time.GetUtcNow();
        return new ContainerStart.Running(startedAt, $"local://{process.Id}", WatchAsync(process, launch, output, time, kill));
    }

    private async Task<ContainerExitReport> WatchAsync(Process process, ContainerLaunch launch, LineSink output, TimeProvider time, CancellationToken kill)
    {
        var id = process.Id;
        try
        {
            process.StandardInput.Close();
            var stdout = PumpAsync(process.StandardOutput, output);
            var stderr = PumpAsync(process.StandardError, output);
            await using (kill.Register(() => Kill(process)))
            {
                await process.WaitForExitAsync(CancellationToken.None);
            }
            // What the command left behind dies with it, as in a container.
            KillGroup(id);
            // A process that left the group may still hold the pipes: do not wait for it forever.
            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
            return new ContainerExitReport(process.ExitCode, time.GetUtcNow(), TerminationMessages.ReadFile(launch.TerminationMessageFile));
        }
        finally
        {
            _live.TryRemove(id, out _);
            process.Dispose();
        }
    }

    private static async Task PumpAsync(StreamReader reader, LineSink output)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                output(line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe closed under us: the process is gone.
        }
    }

    /// <summary>Kills the process, its process group and every descendant it still knows.</summary>
    private static void Kill(Process process)
    {
        try
        {
            KillGroup(process.Id);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited.
        }
    }

    /// <summary>Kills every process the runner started that still runs (shutdown, process exit).</summary>
    public void KillAll()
    {
        foreach (var process in _live.Values)
        {
            Kill(process);
        }
    }

    private static void KillGroup(int processGroup)
    {
        if (UseProcessGroups)
        {
            _ = SendSignal(-processGroup, SigKill);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>
    /// The executable for command[0], as a container runtime would find it: a path (relative to the
    /// working directory) or a name looked up in the container's PATH.
    /// </summary>
    private static string? Resolve(string command, string path, string workingDirectory, out string? error)
    {
        error = null;
        if (command.Contains('/'))
        {
            var full = Path.IsPathRooted(command) ? command : Path.GetFullPath(Path.Combine(workingDirectory, command));
            if (!File.Exists(full))
            {
                error = $"exec: \"{command}\": stat {full}: no such file or directory";
                return null;
            }
            if (!IsExecutable(full))
            {
                error = $"exec: \"{command}\": permission denied";
                return null;
            }
            return full;
        }
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate) && IsExecutable(candidate))
            {
                return candidate;
            }
        }
        error = $"exec: \"{command}\": executable file not found in $PATH";
        return null;
    }

    private static bool IsExecutable(string file) =>
        OperatingSystem.IsWindows()
        || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
