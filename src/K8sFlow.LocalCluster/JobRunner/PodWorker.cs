using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>Why a pod worker stops its containers early.</summary>
internal enum StopReason
{
    /// <summary>The pod is gone from the store: kill, write nothing.</summary>
    Deleted,

    /// <summary>The pod was deleted with a grace period: kill, write the final status (the kubelet then deletes it).</summary>
    Terminating,

    /// <summary>spec.activeDeadlineSeconds passed since status.startTime: kill, pod Failed with reason DeadlineExceeded.</summary>
    DeadlineExceeded,

    /// <summary>The runner stops: kill, write nothing.</summary>
    Shutdown,
}

/// <summary>
/// Runs one pod to its end, as a kubelet does: waits for a process slot (PodScheduled=False meanwhile),
/// prepares volumes and env (waiting for missing objects), runs init containers one by one and then
/// the app containers together, restarts containers as restartPolicy says, enforces
/// spec.activeDeadlineSeconds, and writes the pod status after every change.
/// </summary>
internal sealed class PodWorker
{
    private static readonly TimeSpan MaxRestartBackoff = TimeSpan.FromMinutes(5);

    private readonly ClusterStore _store;
    private readonly IPodLogStore _logs;
    private readonly IContainerRuntime _runtime;
    private readonly ProcessSlots? _slots;
    private readonly JobRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonObject _pod;
    private readonly PodStatusModel _model;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _kill = new();
    private string _resourceVersion;
    private JsonObject? _written;
    private StopReason? _stop;
    private long? _deadlineSeconds;
    private ITimer? _deadlineTimer;

    public PodWorker(JsonObject pod, ClusterStore store, IPodLogStore logs, IContainerRuntime runtime, ProcessSlots? slots, JobRunnerOptions options)
    {
        _pod = pod;
        _store = store;
        _logs = logs;
        _runtime = runtime;
        _slots = slots;
        _options = options;
        _time = store.Options.Time;
        _model = new PodStatusModel(pod);
        _resourceVersion = pod.ResourceVersion();
        _deadlineSeconds = KubeJson.AsLong(pod["spec"]?["activeDeadlineSeconds"]);
        Key = ObjectKey.Of(pod);
        Uid = pod.Uid();
        // Like status.startTime on a node: the pod counts as started once the kubelet accepted it,
        // waiting for a slot included, so spec.activeDeadlineSeconds runs from here.
        _model.StartTime = _time.GetUtcNow();
        ArmDeadline();
        Completion = Task.Run(RunAsync);
    }

    public ObjectKey Key { get; }

    public string Uid { get; }

    /// <summary>Completes when the containers have stopped and the last status is written.</summary>
    public Task Completion { get; }

    /// <summary>Stops the pod early. Deleted and Shutdown win over the others (nothing more may be written).</summary>
    public void Stop(StopReason reason)
    {
        lock (_gate)
        {
            if (_stop is not null && reason is not (StopReason.Deleted or StopReason.Shutdown))
            {
                return;
            }
            _stop = reason;
        }
        _kill.Cancel();
    }

    /// <summary>The pod's spec.activeDeadlineSeconds changed (the Job controller lowers it to stop a pod).</summary>
    public void SetDeadline(long? seconds)
    {
        lock (_gate)
        {
            if (seconds == _deadlineSeconds)
            {
                return;
            }
            _deadlineSeconds = seconds;
            ArmDeadline();
        }
    }

    private void ArmDeadline()
    {
        _deadlineTimer?.Dispose();
        _deadlineTimer = null;
        if (_model.StartTime is not { } started || _deadlineSeconds is not { } seconds)
        {
            return;
        }
        var due = started.AddSeconds(seconds) - _time.GetUtcNow();
        _deadlineTimer = _time.CreateTimer(_ => Stop(StopReason.DeadlineExceeded), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private async Task RunAsync()
    {
        var slots = 0;
        try
        {
            slots = await AdmitAsync();
            if (await PrepareAsync() is { } prepared)
            {
                foreach (var init in _model.InitContainerNames.ToList())
                {
                    if (!await RunContainerAsync(init, prepared))
                    {
                        return;
                    }
                }
                await Task.WhenAll(_model.AppContainerNames.ToList().Select(c => RunContainerAsync(c, prepared)));
            }
        }
        catch (OperationCanceledException) when (_kill.IsCancellationRequested)
        {
            // Stopped while waiting; Finish writes what that means.
        }
        catch (Exception e)
        {
            _options.Log?.Invoke($"kubelet: pod {Key} failed unexpectedly: {e}");
            lock (_gate)
            {
                _model.TerminateWaiting(128, "StartError", $"the local job runner failed: {e.Message}", _time.GetUtcNow());
            }
        }
        finally
        {
            if (slots > 0)
            {
                _slots!.Release(slots);
            }
            Finish();
        }
    }

    /// <summary>Takes the pod's process slots, waiting in line when they are all used; returns how many it holds.</summary>
    private async Task<int> AdmitAsync()
    {
        var need = _runtime.SlotsFor(_pod);
        if (need > 0 && !_slots!.TryAcquire(need))
        {
            lock (_gate)
            {
                _model.Scheduled = false;
                _model.UnschedulableMessage =
                    $"0/1 nodes are available: the local job runner runs at most {_slots.Capacity} processes at once (JobRunnerOptions.MaxConcurrentProcesses); this pod waits for {Math.Min(need, _slots.Capacity)}";
                Publish();
            }
            await _slots.AcquireAsync(need, _kill.Token);
        }
        lock (_gate)
        {
            _model.Scheduled = true;
            _model.UnschedulableMessage = null;
        }
        return need;
    }

    private async Task<PodPreparation.Ready?> PrepareAsync()
    {
        while (true)
        {
            var preparation = _runtime.Prepare(_pod);
            lock (_gate)
            {
                switch (preparation)
                {
                    case PodPreparation.Ready ready:
                        _model.SandboxReady = true;
                        return ready;
                    case PodPreparation.Invalid invalid:
                        _model.TerminateWaiting(128, "StartError", invalid.Message, _time.GetUtcNow());
                        Publish();
                        return null;
                    case PodPreparation.Waiting waiting:
                        _model.SetAllWaiting(waiting.Reason, waiting.Message);
                        Publish();
                        break;
                }
            }
            await Task.Delay(_options.MissingObjectRetry, _time, _kill.Token);
        }
    }

    /// <summary>Runs a container until it ends for good (restarts included); true when it succeeded.</summary>
    private async Task<bool> RunContainerAsync(string name, PodPreparation.Ready prepared)
    {
        var container = Container(name);
        while (!_kill.IsCancellationRequested)
        {
            _logs.StartContainer(Key.Namespace, Key.Name, name);
            var start = _runtime.Start(_pod, container, prepared, _kill.Token);
            ContainerTermination ended;
            if (start is ContainerStart.Running running)
            {
                if (!running.Exited.IsCompleted)
                {
                    lock (_gate)
                    {
                        _model.SetRunning(name, running.StartedAt, running.ContainerId);
                        Publish();
                    }
                }
                var report = await running.Exited;
                ended = Termination(container, running, report);
            }
            else
            {
                var now = _time.GetUtcNow();
                ended = new ContainerTermination(128, "StartError", ((ContainerStart.Failed)start).Message, now, now, null);
            }
            _logs.MarkTerminated(Key.Namespace, Key.Name, name);
            TimeSpan backoff;
            lock (_gate)
            {
                if (_stop is not null || !_model.ShouldRestart(ended.ExitCode))
                {
                    _model.SetTerminated(name, ended);
                    Publish();
                    return ended.ExitCode == 0;
                }
                var restarts = _model.RestartCount(name);
                backoff = _options.ContainerRestartBackoff * Math.Pow(2, Math.Min(restarts, 30));
                backoff = backoff > MaxRestartBackoff ? MaxRestartBackoff : backoff;
                _model.SetRestarting(name, ended,
                    $"back-off {(int)backoff.TotalSeconds}s restarting failed container={name} pod={Key.Name}_{Key.Namespace}({Uid})");
                Publish();
            }
            await Task.Delay(backoff, _time, _kill.Token);
        }
        return false;
    }

    private ContainerTermination Termination(JsonObject container, ContainerStart.Running running, ContainerExitReport report)
    {
        StopReason? stop;
        lock (_gate)
        {
            stop = _stop;
        }
        var reason = stop == StopReason.DeadlineExceeded ? "DeadlineExceeded" : report.ExitCode == 0 ? "Completed" : "Error";
        var name = KubeJson.AsString(container["name"]) ?? "";
        var message = TerminationMessages.Resolve(report.Message, KubeJson.AsString(container["terminationMessagePolicy"]), report.ExitCode,
            _logs.Lines(Key.Namespace, Key.Name, name), TerminationMessages.LimitFor(_model.ContainerCount));
        return new ContainerTermination(report.ExitCode, reason, message, running.StartedAt, report.FinishedAt, running.ContainerId);
    }

    /// <summary>After the last container: a pod stopped by its deadline or a graceful delete gets its final status.</summary>
    private void Finish()
    {
        lock (_gate)
        {
            _deadlineTimer?.Dispose();
            _deadlineTimer = null;
            var now = _time.GetUtcNow();
            switch (_stop)
            {
                case StopReason.DeadlineExceeded:
                    _model.PodReason = ("DeadlineExceeded", "Pod was active on the node longer than the specified deadline");
                    _model.TerminateWaiting(137, "DeadlineExceeded", "", now);
                    break;
                case StopReason.Terminating:
                    _model.TerminateWaiting(137, "Error", "", now);
                    break;
            }
            Publish();
        }
    }

    private JsonObject Container(string name) =>
        new[] { "initContainers", "containers" }
            .SelectMany(list => (_pod["spec"]?[list] as JsonArray ?? []).OfType<JsonObject>())
            .First(c => KubeJson.AsString(c["name"]) == name);

    /// <summary>
    /// Writes the status (under the lock, so writes keep their order) with the resourceVersion last
    /// seen; on a conflict re-reads the pod. Gone, or stopping for good: nothing is written.
    /// </summary>
    private void Publish()
    {
        if (_stop is StopReason.Deleted or StopReason.Shutdown)
        {
            return;
        }
        var status = _model.ToStatus(_time.GetUtcNow());
        if (KubeJson.Equal(status, _written))
        {
            return;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var written = _store.UpdateStatus(ResourceRef.Pods, Key.Namespace, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = Key.Name, ["namespace"] = Key.Namespace, ["resourceVersion"] = _resourceVersion },
                ["status"] = status.DeepClone(),
            }, new WriteOptions { FieldManager = Kubelet.FieldManager });
            if (written.IsSuccess)
            {
                _resourceVersion = written.Value.ResourceVersion();
                _written = status;
                return;
            }
            if (!StoreWrites.IsConflict(written.Error) || _store.Get(ResourceRef.Pods, Key.Namespace, Key.Name) is not { IsSuccess: true } fresh || fresh.Value.Uid() != Uid)
            {
                return;
            }
            _resourceVersion = fresh.Value.ResourceVersion();
        }
    }
}
