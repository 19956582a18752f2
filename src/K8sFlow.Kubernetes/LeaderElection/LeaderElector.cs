using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Kubernetes.LeaderElection;

public sealed record LeaderElectionOptions
{
    public required string LeaseNamespace { get; init; }
    public required string LeaseName { get; init; }

    /// <summary>Unique per candidate, e.g. the pod name.</summary>
    public required string Identity { get; init; }

    /// <summary>How long others wait after the last renewal before taking over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The leader gives up when it could not renew for this long (must be below LeaseDuration).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause between acquire and renew attempts.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Clear holderIdentity on clean shutdown so a successor need not wait for expiry.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    /// <summary>Runs while leading; its token is cancelled when leadership ends.</summary>
    public Func<CancellationToken, Task>? OnStartedLeading { get; init; }

    /// <summary>Called once leadership ends (lost or released).</summary>
    public Action? OnStoppedLeading { get; init; }

    /// <summary>Called when the observed holder changes (also for this candidate).</summary>
    public Action<string>? OnNewLeader { get; init; }
}

/// <summary>
/// Lease-based leader election (coordination.k8s.io/v1): acquire when the lease is free or expired,
/// renew every retry period, step down when renewals fail past the renew deadline, release on
/// shutdown. Conflicting writes (409) mean another candidate won the race.
/// </summary>
public sealed class LeaderElector
{
    private readonly IKubeClient _client;
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private volatile string? _observedLeader;
    private volatile bool _isLeader;

    public LeaderElector(IKubeClient client, LeaderElectionOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        if (options.RenewDeadline >= options.LeaseDuration)
        {
            throw new ArgumentException($"RenewDeadline ({options.RenewDeadline}) must be shorter than LeaseDuration ({options.LeaseDuration}).", nameof(options));
        }
        if (options.RetryPeriod >= options.RenewDeadline)
        {
            throw new ArgumentException($"RetryPeriod ({options.RetryPeriod}) must be shorter than RenewDeadline ({options.RenewDeadline}).", nameof(options));
        }
        _client = client;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
    }

    public bool IsLeader => _isLeader;

    /// <summary>The holder last seen on the lease (null before the first read or while free).</summary>
    public string? CurrentLeader => _observedLeader;

    /// <summary>
    /// Campaigns until leadership is won, leads until it is lost or <paramref name="cancellationToken"/>
    /// is cancelled, then returns. Run it again to campaign again.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CampaignAndLeadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown is the normal end of a campaign.
        }
    }

    private async Task CampaignAndLeadAsync(CancellationToken cancellationToken)
    {
        if (!await AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _isLeader = true;
        _logger?.LogInformation("{Identity} became leader of lease {Namespace}/{Lease}", _options.Identity, _options.LeaseNamespace, _options.LeaseName);
        var work = StartLeadingWork(leading.Token);
        try
        {
            await RenewUntilLostAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _isLeader = false;
            await leading.CancelAsync().ConfigureAwait(false);
            await AwaitQuietly(work).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested && _options.ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }
            _logger?.LogInformation("{Identity} stopped leading lease {Namespace}/{Lease}", _options.Identity, _options.LeaseNamespace, _options.LeaseName);
            _options.OnStoppedLeading?.Invoke();
        }
    }

    /// <summary>
    /// One attempt to take or renew the lease at the current time: true when this candidate holds it
    /// afterwards. Errors other than 409 propagate.
    /// </summary>
    public async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var lease = await _client.TryGetAsync(KubeKinds.Lease, _options.LeaseNamespace, _options.LeaseName, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            var created = new Lease
            {
                Metadata = new ObjectMeta { Name = _options.LeaseName, Namespace = _options.LeaseNamespace },
                Spec = NewSpec(now, previous: null),
            };
            return await WriteAsync(() => _client.CreateAsync(KubeKinds.Lease, created, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        var holder = lease.Spec.HolderIdentity;
        ObserveLeader(holder);
        if (!string.IsNullOrEmpty(holder) && holder != _options.Identity && !IsExpired(lease.Spec, now))
        {
            return false;
        }
        var updated = lease with { Spec = NewSpec(now, lease.Spec) };
        return await WriteAsync(() => _client.ReplaceAsync(KubeKinds.Lease, updated, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await TryQuietlyAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            if (!await DelayAsync(_options.RetryPeriod, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        return false;
    }

    private async Task RenewUntilLostAsync(CancellationToken cancellationToken)
    {
        var lastRenew = _time.GetUtcNow();
        while (await DelayAsync(_options.RetryPeriod, cancellationToken).ConfigureAwait(false))
        {
            // An attempt that gets no answer must not outlast the deadline: past it, another replica may take the lease.
            var left = _options.RenewDeadline - (_time.GetUtcNow() - lastRenew);
            if (left > TimeSpan.Zero && await TryQuietlyAsync(cancellationToken, left).ConfigureAwait(false))
            {
                lastRenew = _time.GetUtcNow();
            }
            else if (_time.GetUtcNow() - lastRenew >= _options.RenewDeadline)
            {
                _logger?.LogWarning("{Identity} could not renew lease {Namespace}/{Lease} within {Deadline}; stepping down",
                    _options.Identity, _options.LeaseNamespace, _options.LeaseName, _options.RenewDeadline);
                return;
            }
        }
    }

    /// <summary>One acquire or renew attempt, given up after <paramref name="limit"/> when set; false on any failure.</summary>
    private async Task<bool> TryQuietlyAsync(CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        using var attempt = limit is { } timeout ? new CancellationTokenSource(timeout, _time) : null;
        using var linked = attempt is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
        try
        {
            return await TryAcquireOrRenewAsync(linked?.Token ?? cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger?.LogWarning(e, "{Identity}: lease {Namespace}/{Lease} could not be read or written", _options.Identity, _options.LeaseNamespace, _options.LeaseName);
            return false;
        }
    }

    /// <summary>Clears holderIdentity if this candidate still holds the lease.</summary>
    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.RenewDeadline, _time);
            var lease = await _client.TryGetAsync(KubeKinds.Lease, _options.LeaseNamespace, _options.LeaseName, timeout.Token).ConfigureAwait(false);
            if (lease?.Spec.HolderIdentity != _options.Identity)
            {
                return;
            }
            var now = _time.GetUtcNow();
            var released = lease with
            {
                Spec = lease.Spec with { HolderIdentity = null, LeaseDurationSeconds = 1, RenewTime = now, AcquireTime = now },
            };
            await _client.ReplaceAsync(KubeKinds.Lease, released, cancellationToken: timeout.Token).ConfigureAwait(false);
            ObserveLeader(null);
        }
        catch (Exception e)
        {
            // Not releasing only delays the successor by one lease duration.
            _logger?.LogWarning(e, "{Identity}: releasing lease {Namespace}/{Lease} failed", _options.Identity, _options.LeaseNamespace, _options.LeaseName);
        }
    }

    private LeaseSpec NewSpec(DateTimeOffset now, LeaseSpec? previous)
    {
        var keepsHolder = previous?.HolderIdentity == _options.Identity;
        return new LeaseSpec
        {
            HolderIdentity = _options.Identity,
            LeaseDurationSeconds = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds),
            AcquireTime = keepsHolder ? previous!.AcquireTime ?? now : now,
            RenewTime = now,
            LeaseTransitions = previous is null ? 0 : keepsHolder ? previous.LeaseTransitions ?? 0 : (previous.LeaseTransitions ?? 0) + 1,
        };
    }

    private static bool IsExpired(LeaseSpec spec, DateTimeOffset now) =>
        spec.RenewTime is not { } renewed || renewed + TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? 0) <= now;

    /// <summary>Create/replace; a 409 (someone else wrote first) is a lost race, not an error.</summary>
    private async Task<bool> WriteAsync(Func<Task<Lease>> write)
    {
        try
        {
            var written = await write().ConfigureAwait(false);
            ObserveLeader(written.Spec.HolderIdentity);
            return true;
        }
        catch (KubeApiException e) when (e.IsConflict || e.IsAlreadyExists)
        {
            return false;
        }
    }

    private void ObserveLeader(string? holder)
    {
        var previous = _observedLeader;
        _observedLeader = string.IsNullOrEmpty(holder) ? null : holder;
        if (_observedLeader is { } leader && leader != previous)
        {
            _options.OnNewLeader?.Invoke(leader);
        }
    }

    private Task StartLeadingWork(CancellationToken leadingToken) =>
        _options.OnStartedLeading is { } onStarted ? Task.Run(() => onStarted(leadingToken), CancellationToken.None) : Task.CompletedTask;

    private async Task AwaitQuietly(Task work)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The leader's work ends by cancellation when leadership ends.
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "{Identity}: the leader's work failed", _options.Identity);
        }
    }

    /// <summary>False when cancelled.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
