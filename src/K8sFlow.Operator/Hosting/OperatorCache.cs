using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Jobs;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Hosting;

/// <summary>
/// The informers every controller shares: Dags, DagRuns, and the Jobs and Pods K8sFlow manages (label
/// app.kubernetes.io/managed-by=k8sflow), indexed so a reconcile reads only its own run's objects.
/// </summary>
public sealed class OperatorCache
{
    /// <summary>Jobs by "namespace/&lt;k8sflow.io/dag-run label&gt;".</summary>
    public const string ByRunIndex = "by-run";

    /// <summary>DagRuns by "namespace/&lt;spec.dagName&gt;".</summary>
    public const string ByDagIndex = "by-dag";

    /// <summary>DagRuns by "namespace/&lt;the label value standing for their name&gt;" (pod events find their run).</summary>
    public const string ByRunLabelIndex = "by-run-label";

    public OperatorCache(IKubeClient client, IReadOnlyList<string> namespaces, TimeSpan? resyncPeriod, TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        var options = new InformerOptions { ResyncPeriod = resyncPeriod };
        var managed = options with { LabelSelector = Selectors.LabelEquals(K8sFlowApi.Labels.ManagedBy, K8sFlowApi.Labels.ManagedByValue) };
        Dags = new InformerSet<Dag>(client, KubeKinds.Dag, namespaces, options, timeProvider, loggerFactory.CreateLogger("K8sFlow.Informers.Dag"));
        DagRuns = new InformerSet<DagRun>(client, KubeKinds.DagRun, namespaces, options, timeProvider, loggerFactory.CreateLogger("K8sFlow.Informers.DagRun"));
        // Jobs and pods change on their own: resyncing them adds nothing the DagRun resync does not. The controller reads
        // their metadata and status only: without their specs, 10,000 cached attempts cost a fraction of the memory.
        Jobs = new InformerSet<Job>(client, KubeKinds.Job, namespaces, managed with { ResyncPeriod = null }, timeProvider,
            loggerFactory.CreateLogger("K8sFlow.Informers.Job"), CachedJob);
        Pods = new InformerSet<Pod>(client, KubeKinds.Pod, namespaces, managed with { ResyncPeriod = null }, timeProvider,
            loggerFactory.CreateLogger("K8sFlow.Informers.Pod"), CachedPod);

        DagRuns.AddIndex(ByDagIndex, run => [IndexKey(run.Metadata.Namespace, run.Spec.DagName)]);
        DagRuns.AddIndex(ByRunLabelIndex, run => [IndexKey(run.Metadata.Namespace, Names.ToLabelValue(run.Metadata.Name ?? ""))]);
        Jobs.AddIndex(ByRunIndex, ByRunLabel);
        Pods.AddIndex(ByJobIndex, pod => ExecutionObserver.JobNameOf(pod) is { } job ? [IndexKey(pod.Metadata.Namespace, job)] : []);
    }

    /// <summary>Pods by "namespace/&lt;their Job's name&gt;".</summary>
    public const string ByJobIndex = "by-job";

    /// <summary>The pods of the Job <paramref name="job"/> (usually one).</summary>
    public IReadOnlyList<Pod> PodsOf(Job job) =>
        Pods.ListByIndex(job.Metadata.Namespace!, ByJobIndex, IndexKey(job.Metadata.Namespace, job.Metadata.Name ?? ""));

    public InformerSet<Dag> Dags { get; }
    public InformerSet<DagRun> DagRuns { get; }
    public InformerSet<Job> Jobs { get; }
    public InformerSet<Pod> Pods { get; }

    public bool HasSynced => Dags.HasSynced && DagRuns.HasSynced && Jobs.HasSynced && Pods.HasSynced;

    public static string IndexKey(string? @namespace, string value) => $"{@namespace}/{value}";

    /// <summary>The cache key of a namespaced object, as work queues use it: "namespace/name".</summary>
    /// <summary>What the controller reads of a Job: metadata and status (<see cref="Jobs.ExecutionObserver"/>).</summary>
    public static Job CachedJob(Job job) => job with { Spec = new JobSpec() };

    /// <summary>What the controller reads of a pod: metadata, phase, start time and its containers' states.</summary>
    public static Pod CachedPod(Pod pod) => pod with
    {
        Spec = new PodSpec(),
        Status = pod.Status is not { } status ? null : new PodStatus
        {
            Phase = status.Phase,
            Reason = status.Reason,
            Message = status.Message,
            StartTime = status.StartTime,
            ContainerStatuses = status.ContainerStatuses?.Select(c => new ContainerStatus
            {
                Name = c.Name,
                State = c.State,
                LastState = c.LastState,
                RestartCount = c.RestartCount,
            }).ToList(),
        },
    };

    public static string KeyOf(KubernetesObject obj) => Informer<DagRun>.KeyOf(obj.Metadata.Namespace, obj.Metadata.Name ?? "");

    /// <summary>Jobs labelled with <paramref name="run"/>'s name (callers check ownership: a label can be copied).</summary>
    public IReadOnlyList<Job> JobsOf(DagRun run) =>
        Jobs.ListByIndex(run.Metadata.Namespace!, ByRunIndex, IndexKey(run.Metadata.Namespace, Names.ToLabelValue(run.Metadata.Name!)));

    public IReadOnlyList<DagRun> RunsOf(string @namespace, string dagName) =>
        DagRuns.ListByIndex(@namespace, ByDagIndex, IndexKey(@namespace, dagName));

    /// <summary>The runs whose name the k8sflow.io/dag-run label value <paramref name="labelValue"/> stands for.</summary>
    public IReadOnlyList<DagRun> RunsLabelled(string @namespace, string labelValue) =>
        DagRuns.ListByIndex(@namespace, ByRunLabelIndex, IndexKey(@namespace, labelValue));

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => Task.WhenAll(
        Dags.WaitForSyncAsync(cancellationToken), DagRuns.WaitForSyncAsync(cancellationToken),
        Jobs.WaitForSyncAsync(cancellationToken), Pods.WaitForSyncAsync(cancellationToken));

    /// <summary>Runs every informer until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        Dags.RunAsync(cancellationToken), DagRuns.RunAsync(cancellationToken),
        Jobs.RunAsync(cancellationToken), Pods.RunAsync(cancellationToken));

    private static IEnumerable<string> ByRunLabel<T>(T obj) where T : KubernetesObject =>
        obj.Metadata.Labels?.TryGetValue(K8sFlowApi.Labels.DagRun, out var run) == true ? [IndexKey(obj.Metadata.Namespace, run)] : [];
}
