namespace K8sFlow.Operator.Observability;

/// <summary>Whether this replica runs the controllers (holds the lease) or waits for the lease.</summary>
public enum OperatorRole
{
    Standby,
    Leader,
}

/// <summary>What /readyz answers: ready or not, and a one-line reason saying which role.</summary>
public sealed record ReadinessReport(bool Ready, string Message);

/// <summary>
/// The readiness state the host updates (informer sync, leadership) and /readyz and k8sflow_leader
/// read. A leader is ready once its informers have synced. A standby is ready as soon as it runs:
/// waiting for the lease is its job, and a rolling update must be able to replace the pods while
/// the old leader still holds the lease.
/// </summary>
public sealed class OperatorReadiness
{
    private readonly Lock _lock = new();
    private OperatorRole _role = OperatorRole.Standby;
    private string? _leader;
    private bool _informersSynced;

    public bool IsLeader
    {
        get
        {
            lock (_lock)
            {
                return _role == OperatorRole.Leader;
            }
        }
    }

    /// <summary>Informers listed and watching (true), or restarting after a lost lease (false).</summary>
    public void SetInformersSynced(bool synced)
    {
        lock (_lock)
        {
            _informersSynced = synced;
        }
    }

    /// <summary>The role this replica has now; <paramref name="currentLeader"/> is the lease holder's identity when known.</summary>
    public void SetRole(OperatorRole role, string? currentLeader = null)
    {
        lock (_lock)
        {
            _role = role;
            _leader = currentLeader;
        }
    }

    public ReadinessReport Check()
    {
        lock (_lock)
        {
            var leaderNote = _leader is null ? "no leader observed yet" : $"leader is {_leader}";
            return (_role, _informersSynced) switch
            {
                (OperatorRole.Leader, true) => new ReadinessReport(true, "ready: leader, informers synced"),
                (OperatorRole.Leader, false) => new ReadinessReport(false, "not ready: leader, informers not synced yet"),
                (_, true) => new ReadinessReport(true, $"ready: standby, informers synced ({leaderNote})"),
                _ => new ReadinessReport(true, $"ready: standby, waiting for the lease ({leaderNote})"),
            };
        }
    }
}
