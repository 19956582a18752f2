using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// The local job runner: the Job controller and the kubelet of the local cluster, working in-process
/// on the store. In <see cref="JobRunnerMode.Processes"/> mode each container's command runs as a
/// process on this machine (see <see cref="PathMap"/> for how container paths map to local ones); in
/// <see cref="JobRunnerMode.Simulated"/> mode containers end as <see cref="SimulationAnnotations"/> say.
/// Disposing it kills every process it started; so does the exit of this process.
/// </summary>
public sealed class LocalJobRunner : IAsyncDisposable
{
    private readonly JobController _controller;
    private readonly Kubelet _kubelet;
    private readonly ProcessRuntime? _processes;
    private readonly bool _ownsDataDirectory;
    private int _disposed;

    private LocalJobRunner(JobRunnerOptions options, JobController controller, Kubelet kubelet, ProcessRuntime? processes, string? dataDirectory, bool ownsDataDirectory)
    {
        Mode = options.Mode;
        _controller = controller;
        _kubelet = kubelet;
        _processes = processes;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        if (processes is not null)
        {
            AppDomain.CurrentDomain.ProcessExit += KillProcessesOnExit;
        }
    }

    public JobRunnerMode Mode { get; }

    /// <summary>Where pod and claim directories live (Processes mode); null when simulated.</summary>
    public string? DataDirectory { get; }

    /// <summary>Container processes running now.</summary>
    public int RunningProcesses => _processes?.Processes.Count ?? 0;

    /// <summary>
    /// Starts the runner on a store. <paramref name="clusterDataDirectory"/>: the cluster's data directory,
    /// under which "jobrunner" holds the runner's files when <see cref="JobRunnerOptions.DataDirectory"/> is unset.
    /// </summary>
    public static LocalJobRunner Start(ClusterStore store, IPodLogStore logs, JobRunnerOptions options, string? clusterDataDirectory = null)
    {
        if (options.Mode == JobRunnerMode.Off)
        {
            throw new ArgumentException("JobRunnerOptions.Mode is Off: there is no runner to start", nameof(options));
        }
        ProcessRuntime? processes = null;
        IContainerRuntime runtime;
        ProcessSlots? slots = null;
        string? dataDirectory = null;
        var ownsDataDirectory = false;
        if (options.Mode == JobRunnerMode.Processes)
        {
            dataDirectory = options.DataDirectory ?? (clusterDataDirectory is null ? null : Path.Combine(clusterDataDirectory, "jobrunner"));
            if (dataDirectory is null)
            {
                dataDirectory = Path.Combine(Path.GetTempPath(), "k8sflow-jobrunner-" + Guid.NewGuid().ToString("N")[..12]);
                ownsDataDirectory = true;
            }
            dataDirectory = Path.GetFullPath(dataDirectory);
            Directory.CreateDirectory(dataDirectory);
            processes = new ProcessRuntime(store, logs, options, new LocalPaths(dataDirectory));
            runtime = processes;
            slots = new ProcessSlots(options.MaxConcurrentProcesses);
        }
        else
        {
            runtime = new SimulatedRuntime(options, logs, store.Options.Time);
        }
        var kubelet = new Kubelet(store, logs, runtime, slots, options);
        var controller = new JobController(store, options);
        return new LocalJobRunner(options, controller, kubelet, processes, dataDirectory, ownsDataDirectory);
    }

    /// <summary>The local directory behind a PersistentVolumeClaim (Processes mode): what its pods see at the mount path.</summary>
    public string ClaimDirectory(string ns, string claim) =>
        new LocalPaths(DataDirectory ?? throw new InvalidOperationException("a simulated runner has no directories")).Claim(ns, claim);

    private void KillProcessesOnExit(object? sender, EventArgs e) => _processes?.Processes.KillAll();

    /// <summary>Stops the controller and the kubelet and kills every container process (waiting for them to end).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _controller.DisposeAsync();
        await _kubelet.DisposeAsync();
        if (_processes is not null)
        {
            _processes.Processes.KillAll();
            AppDomain.CurrentDomain.ProcessExit -= KillProcessesOnExit;
        }
        if (_ownsDataDirectory && DataDirectory is not null)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file still held open; the temporary directory is the system's to clean.
            }
        }
    }
}
