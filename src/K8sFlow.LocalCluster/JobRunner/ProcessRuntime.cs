using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>Runs containers as processes on this machine, with volumes as directories under the data directory.</summary>
internal sealed class ProcessRuntime(ClusterStore store, IPodLogStore logs, JobRunnerOptions options, LocalPaths paths) : IContainerRuntime
{
    private readonly HostProcesses _processes = new();

    public HostProcesses Processes => _processes;

    /// <summary>Init containers run one at a time, app containers together: a pod needs one slot per app container.</summary>
    public int SlotsFor(JsonObject pod) => Math.Max(1, (pod["spec"]?["containers"] as JsonArray)?.Count ?? 1);

    public PodPreparation Prepare(JsonObject pod)
    {
        var podDirectory = paths.Pod(pod.Namespace(), pod.Name(), pod.Uid());
        var (volumes, problem) = PodVolumes.Prepare(pod, podDirectory, paths, store);
        if (problem is not null)
        {
            return problem;
        }
        var launches = new Dictionary<string, ContainerLaunch>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (pod["spec"]?[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var (launch, waiting) = ContainerLaunches.Build(pod, container, volumes!, podDirectory, store, options.InheritEnvironment, options.HostMounts);
                if (waiting is not null)
                {
                    return waiting;
                }
                launches[KubeJson.AsString(container["name"]) ?? ""] = launch!;
            }
        }
        return new PodPreparation.Ready(launches);
    }

    public ContainerStart Start(JsonObject pod, JsonObject container, PodPreparation.Ready prepared, CancellationToken kill)
    {
        var name = KubeJson.AsString(container["name"]) ?? "";
        var (ns, podName) = (pod.Namespace(), pod.Name());
        return _processes.Start(prepared.Launches[name], line => logs.Append(ns, podName, name, line), store.Options.Time, kill);
    }

    public void Release(string ns, string pod, string uid)
    {
        try
        {
            var directory = paths.Pod(ns, pod, uid);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            options.Log?.Invoke($"kubelet: could not remove the directory of pod {ns}/{pod}: {e.Message}");
        }
    }
}
