using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>How a container ended, as written to <c>state.terminated</c>.</summary>
internal sealed record ContainerTermination(int ExitCode, string Reason, string Message, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string? ContainerId);

/// <summary>
/// The kubelet's view of one pod: container states, restarts, admission. It derives the pod phase and
/// conditions the way the kubelet does and renders the whole <c>status</c>. Not thread-safe: the pod
/// worker guards it.
/// </summary>
internal sealed class PodStatusModel
{
    public const string LocalIp = "127.0.0.1";

    private readonly List<ContainerModel> _init;
    private readonly List<ContainerModel> _app;
    private readonly string _restartPolicy;
    private readonly JsonNode? _qosClass;
    private readonly Dictionary<string, (string Status, string At)> _transitions = new(StringComparer.Ordinal);

    public PodStatusModel(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        _init = Containers(spec?["initContainers"], init: true);
        _app = Containers(spec?["containers"], init: false);
        _restartPolicy = KubeJson.AsString(spec?["restartPolicy"]) ?? "Always";
        _qosClass = pod["status"]?["qosClass"]?.DeepClone();
    }

    private sealed class ContainerModel(string name, string image, bool init)
    {
        public string Name { get; } = name;

        public string Image { get; } = image;

        public bool Init { get; } = init;

        public int RestartCount { get; set; }

        public string? ContainerId { get; set; }

        public (string Reason, string? Message) Waiting { get; set; } = (init ? "PodInitializing" : "ContainerCreating", null);

        public DateTimeOffset? RunningSince { get; set; }

        public ContainerTermination? Terminated { get; set; }

        public ContainerTermination? LastTerminated { get; set; }
    }

    private static List<ContainerModel> Containers(JsonNode? list, bool init) =>
        (list as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new ContainerModel(KubeJson.AsString(c["name"]) ?? "", KubeJson.AsString(c["image"]) ?? "", init))
            .ToList();

    public DateTimeOffset? StartTime { get; set; }

    /// <summary>False while the pod waits for a free process slot (PodScheduled=False).</summary>
    public bool Scheduled { get; set; } = true;

    public string? UnschedulableMessage { get; set; }

    /// <summary>Volumes and env are in place (PodReadyToStartContainers).</summary>
    public bool SandboxReady { get; set; }

    /// <summary>Pod-level reason and message; set only when the kubelet fails the pod (DeadlineExceeded).</summary>
    public (string Reason, string Message)? PodReason { get; set; }

    public IEnumerable<string> InitContainerNames => _init.Select(c => c.Name);

    public IEnumerable<string> AppContainerNames => _app.Select(c => c.Name);

    public int ContainerCount => _app.Count;

    public int RestartCount(string container) => Find(container).RestartCount;

    /// <summary>Every container not yet started waits for the same thing (a missing object, a bad volume).</summary>
    public void SetAllWaiting(string reason, string message)
    {
        foreach (var c in _init.Concat(_app).Where(c => c.RunningSince is null && c.Terminated is null))
        {
            c.Waiting = (reason, message);
        }
    }

    public void SetRunning(string container, DateTimeOffset since, string containerId)
    {
        var c = Find(container);
        c.RunningSince = since;
        c.ContainerId = containerId;
        c.Terminated = null;
    }

    public void SetTerminated(string container, ContainerTermination termination)
    {
        var c = Find(container);
        c.RunningSince = null;
        c.Terminated = termination;
    }

    /// <summary>The container will run again: its end moves to lastState and it waits in back-off.</summary>
    public void SetRestarting(string container, ContainerTermination ended, string backOffMessage)
    {
        var c = Find(container);
        c.LastTerminated = ended;
        c.RestartCount++;
        c.RunningSince = null;
        c.Terminated = null;
        c.Waiting = ("CrashLoopBackOff", backOffMessage);
    }

    /// <summary>Containers that are not running end with the pod (it could not start, or was stopped while they waited).</summary>
    public void TerminateWaiting(int exitCode, string reason, string message, DateTimeOffset now)
    {
        foreach (var c in _init.Concat(_app).Where(c => c.RunningSince is null && c.Terminated is null))
        {
            c.Terminated = new ContainerTermination(exitCode, reason, message, now, now, null);
        }
    }

    private ContainerModel Find(string name) => _init.Concat(_app).First(c => c.Name == name);

    private bool InitDone => _init.All(c => c.Terminated is { ExitCode: 0 });

    /// <summary>Pending until admitted and initialized, Running while an app container runs or will restart, then Succeeded or Failed.</summary>
    public string Phase
    {
        get
        {
            if (PodReason is not null || _init.Any(c => c.Terminated is { ExitCode: not 0 }))
            {
                return PodPhases.Failed;
            }
            if (StartTime is null || !InitDone)
            {
                return PodPhases.Pending;
            }
            if (_app.All(c => c.Terminated is not null))
            {
                return _app.All(c => c.Terminated!.ExitCode == 0) ? PodPhases.Succeeded : PodPhases.Failed;
            }
            return _app.Any(c => c.RunningSince is not null || c.RestartCount > 0 || c.Terminated is not null) ? PodPhases.Running : PodPhases.Pending;
        }
    }

    public bool Finished => Phase is PodPhases.Succeeded or PodPhases.Failed;

    /// <summary>Whether a container that ended this way runs again under the pod's restartPolicy.</summary>
    public bool ShouldRestart(int exitCode) => _restartPolicy switch
    {
        "Always" => true,
        "OnFailure" => exitCode != 0,
        _ => false,
    };

    public JsonObject ToStatus(DateTimeOffset now)
    {
        var phase = Phase;
        var terminal = phase is PodPhases.Succeeded or PodPhases.Failed;
        var status = new JsonObject { ["phase"] = phase };
        if (PodReason is { } podReason)
        {
            status["reason"] = podReason.Reason;
            status["message"] = podReason.Message;
        }
        var unready = _app.Where(c => c.RunningSince is null).Select(c => c.Name).ToList();
        var uninitialized = _init.Where(c => c.Terminated is not { ExitCode: 0 }).Select(c => c.Name).ToList();
        var conditions = new JsonArray
        {
            Condition("PodReadyToStartContainers", SandboxReady && !terminal, null, null, now),
            Condition("Initialized", uninitialized.Count == 0, terminal ? "PodCompleted" : "ContainersNotInitialized",
                $"containers with incomplete status: [{string.Join(" ", uninitialized)}]", now),
            Condition("Ready", unready.Count == 0, terminal ? "PodCompleted" : "ContainersNotReady", $"containers with unready status: [{string.Join(" ", unready)}]", now),
            Condition("ContainersReady", unready.Count == 0, terminal ? "PodCompleted" : "ContainersNotReady", $"containers with unready status: [{string.Join(" ", unready)}]", now),
            Condition("PodScheduled", Scheduled, "Unschedulable", UnschedulableMessage, now),
        };
        status["conditions"] = conditions;
        if (Scheduled)
        {
            status["hostIP"] = LocalIp;
            status["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = LocalIp });
        }
        if (StartTime is { } started)
        {
            status["podIP"] = LocalIp;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = LocalIp });
            status["startTime"] = KubeJson.Time(started);
        }
        if (_init.Count > 0)
        {
            status["initContainerStatuses"] = new JsonArray(_init.Select(c => (JsonNode)ContainerStatus(c)).ToArray());
        }
        status["containerStatuses"] = new JsonArray(_app.Select(c => (JsonNode)ContainerStatus(c)).ToArray());
        if (_qosClass is not null)
        {
            status["qosClass"] = _qosClass.DeepClone();
        }
        return status;
    }

    /// <summary>A condition; its lastTransitionTime moves only when its status changes.</summary>
    private JsonObject Condition(string type, bool isTrue, string? falseReason, string? falseMessage, DateTimeOffset now)
    {
        var status = isTrue ? "True" : "False";
        if (!_transitions.TryGetValue(type, out var transition) || transition.Status != status)
        {
            transition = (status, KubeJson.Time(now));
            _transitions[type] = transition;
        }
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = transition.At,
        };
        if (!isTrue && falseReason is not null)
        {
            condition["reason"] = falseReason;
            if (falseMessage is not null)
            {
                condition["message"] = falseMessage;
            }
        }
        return condition;
    }

    private static JsonObject ContainerStatus(ContainerModel c)
    {
        var status = new JsonObject
        {
            ["name"] = c.Name,
            ["image"] = c.Image,
            ["imageID"] = "",
            ["ready"] = c.RunningSince is not null && !c.Init,
            ["started"] = c.RunningSince is not null,
            ["restartCount"] = c.RestartCount,
            ["state"] = State(c),
            ["lastState"] = c.LastTerminated is { } last ? new JsonObject { ["terminated"] = Terminated(last) } : new JsonObject(),
        };
        var id = c.Terminated?.ContainerId ?? c.ContainerId;
        if (id is not null)
        {
            status["containerID"] = id;
        }
        return status;
    }

    private static JsonObject State(ContainerModel c)
    {
        if (c.Terminated is { } terminated)
        {
            return new JsonObject { ["terminated"] = Terminated(terminated) };
        }
        if (c.RunningSince is { } since)
        {
            return new JsonObject { ["running"] = new JsonObject { ["startedAt"] = KubeJson.Time(since) } };
        }
        var waiting = new JsonObject { ["reason"] = c.Waiting.Reason };
        if (c.Waiting.Message is { } message)
        {
            waiting["message"] = message;
        }
        return new JsonObject { ["waiting"] = waiting };
    }

    private static JsonObject Terminated(ContainerTermination t)
    {
        var terminated = new JsonObject
        {
            ["exitCode"] = t.ExitCode,
            ["reason"] = t.Reason,
            ["startedAt"] = KubeJson.Time(t.StartedAt),
            ["finishedAt"] = KubeJson.Time(t.FinishedAt),
        };
        if (t.Message.Length > 0)
        {
            terminated["message"] = t.Message;
        }
        if (t.ContainerId is not null)
        {
            terminated["containerID"] = t.ContainerId;
        }
        return terminated;
    }
}
