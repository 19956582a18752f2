using System.Text.Json.Nodes;
using System.Threading.Channels;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// The kubelet of the local cluster's single node: every pod that is not finished gets a
/// <see cref="PodWorker"/>. One loop owns the pod table; it passes deletions and deadline changes to the
/// workers, deletes terminating pods (grace 0) once their containers stopped, and releases a pod's
/// directory when the pod is gone.
/// </summary>
internal sealed class Kubelet : IAsyncDisposable
{
    public const string FieldManager = "kubelet";

    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(10);

    private readonly ClusterStore _store;
    private readonly IPodLogStore _logs;
    private readonly IContainerRuntime _runtime;
    private readonly ProcessSlots? _slots;
    private readonly JobRunnerOptions _options;
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, PodEntry> _pods = new(StringComparer.Ordinal);
    private readonly Task[] _tasks;

    /// <summary>A pod the kubelet knows: its latest version and the worker running it (null when done or never run).</summary>
    private sealed class PodEntry(JsonObject latest)
    {
        public JsonObject Latest { get; set; } = latest;

        public PodWorker? Worker { get; set; }

        /// <summary>Deleted from the store; the entry waits for its worker to stop.</summary>
        public bool Gone { get; set; }
    }

    private sealed record WorkerDone(string Uid);

    public Kubelet(ClusterStore store, IPodLogStore logs, IContainerRuntime runtime, ProcessSlots? slots, JobRunnerOptions options)
    {
        _store = store;
        _logs = logs;
        _runtime = runtime;
        _slots = slots;
        _options = options;
        _tasks =
        [
            Task.Run(() => RunAsync(_stop.Token)),
            StoreInformer.RunAsync(store, ResourceRef.Pods, m => _inbox.Writer.TryWrite(m), _stop.Token),
        ];
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(cancellationToken))
            {
                while (_inbox.Reader.TryRead(out var message))
                {
                    try
                    {
                        Apply(message);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _options.Log?.Invoke($"kubelet: handling {message} failed: {e}");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Apply(object message)
    {
        switch (message)
        {
            case InformerReset reset:
                var listed = reset.Objects.Select(p => p.Uid()).ToHashSet();
                foreach (var uid in _pods.Keys.Where(uid => !listed.Contains(uid)).ToList())
                {
                    Gone(uid);
                }
                foreach (var pod in reset.Objects)
                {
                    Observe(pod);
                }
                break;
            case InformerChange { Type: WatchEventType.Deleted } change:
                Gone(change.Object.Uid());
                break;
            case InformerChange change:
                Observe(change.Object);
                break;
            case WorkerDone done when _pods.TryGetValue(done.Uid, out var entry):
                entry.Worker = null;
                if (entry.Gone)
                {
                    Release(done.Uid, entry);
                }
                else if (entry.Latest.IsDeleting())
                {
                    DeleteNow(entry.Latest);
                }
                break;
        }
    }

    private void Observe(JsonObject pod)
    {
        var uid = pod.Uid();
        if (_pods.TryGetValue(uid, out var entry))
        {
            entry.Latest = pod;
            if (entry.Worker is { } worker)
            {
                if (pod.IsDeleting())
                {
                    worker.Stop(StopReason.Terminating);
                }
                worker.SetDeadline(KubeJson.AsLong(pod["spec"]?["activeDeadlineSeconds"]));
            }
            else if (pod.IsDeleting())
            {
                DeleteNow(pod);
            }
            return;
        }
        entry = new PodEntry(pod);
        _pods[uid] = entry;
        var phase = KubeJson.AsString(pod["status"]?["phase"]);
        if (pod.IsDeleting())
        {
            DeleteNow(pod);
        }
        else if (phase is PodPhases.Succeeded or PodPhases.Failed)
        {
            // Finished before (this runner or an earlier one): nothing to run.
        }
        else if (phase == PodPhases.Running)
        {
            MarkLost(pod);
        }
        else
        {
            var worker = new PodWorker(pod, _store, _logs, _runtime, _slots, _options);
            entry.Worker = worker;
            _ = worker.Completion.ContinueWith(_ => _inbox.Writer.TryWrite(new WorkerDone(uid)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void Gone(string uid)
    {
        if (!_pods.TryGetValue(uid, out var entry))
        {
            return;
        }
        entry.Gone = true;
        if (entry.Worker is { } worker)
        {
            worker.Stop(StopReason.Deleted);
        }
        else
        {
            Release(uid, entry);
        }
    }

    private void Release(string uid, PodEntry entry)
    {
        _pods.Remove(uid);
        _runtime.Release(entry.Latest.Namespace(), entry.Latest.Name(), uid);
    }

    /// <summary>The containers of a terminating pod have stopped: finish the delete, as the kubelet does.</summary>
    private void DeleteNow(JsonObject pod) =>
        _store.Delete(ResourceRef.Pods, pod.Namespace(), pod.Name(), new DeleteOptions { GracePeriodSeconds = 0, PreconditionUid = pod.Uid() });

    /// <summary>
    /// A Running pod without a worker ran under an earlier runner whose processes are gone: it fails, the
    /// way a kubelet reports containers it cannot find. (A Pending one simply runs.)
    /// </summary>
    private void MarkLost(JsonObject pod)
    {
        var model = new PodStatusModel(pod)
        {
            StartTime = KubeJson.TryParseTime(KubeJson.AsString(pod["status"]?["startTime"]), out var started) ? started : null,
        };
        model.TerminateWaiting(137, "ContainerStatusUnknown", "The container could not be located when the pod was terminated", _store.Options.Time.GetUtcNow());
        var status = model.ToStatus(_store.Options.Time.GetUtcNow());
        StoreWrites.Update(_store, ResourceRef.Pods, pod.Namespace(), pod.Name(), pod.Uid(), pod, current =>
        {
            current["status"] = status.DeepClone();
            return current;
        }, FieldManager, status: true);
    }

    /// <summary>Stops watching and kills every container; waits (bounded) for the workers to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _inbox.Writer.TryComplete();
        await Task.WhenAll(_tasks);
        var workers = _pods.Values.Select(e => e.Worker).OfType<PodWorker>().ToList();
        foreach (var worker in workers)
        {
            worker.Stop(StopReason.Shutdown);
        }
        await Task.WhenAny(Task.WhenAll(workers.Select(w => w.Completion)), Task.Delay(ShutdownWait, CancellationToken.None));
        _stop.Dispose();
    }
}
