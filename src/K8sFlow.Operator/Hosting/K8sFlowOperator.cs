using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.LeaderElection;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace K8sFlow.Operator.Hosting;

/// <summary>What the operator runs with besides the API client; everything has a default.</summary>
public sealed record OperatorServices
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Null: the operator creates (and disposes) its own.</summary>
    public K8sFlowMetrics? Metrics { get; init; }

    /// <summary>Null: an <see cref="EventRecorder"/> on the client.</summary>
    public IEventRecorder? Events { get; init; }

    /// <summary>What /readyz reports; null: the operator keeps its own.</summary>
    public OperatorReadiness? Readiness { get; init; }

    /// <summary>Null: <see cref="K8sFlowOperator.DefaultControllers"/>.</summary>
    public IReadOnlyList<Func<OperatorContext, IOperatorController>>? Controllers { get; init; }
}

/// <summary>
/// The operator in-process: shared informers, the controllers, and leader election (when enabled only the lease
/// holder runs the controllers; the informers of a standby stay warm). The ASP.NET host runs one of these; the
/// CLI's local mode and the tests start one next to an API server with <see cref="Start"/>.
/// </summary>
public sealed class K8sFlowOperator : IAsyncDisposable
{
    public const string Component = "k8sflow-operator";

    private readonly IKubeClient _client;
    private readonly OperatorOptions _options;
    private readonly OperatorServices _services;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _ownsMetrics;
    private readonly IDisposable _runCounts;
    private readonly IDisposable? _leadership;
    private Task _completion = Task.CompletedTask;
    private volatile bool _isLeader;
    private volatile string? _leader;

    private K8sFlowOperator(IKubeClient client, OperatorOptions options, OperatorServices services)
    {
        _client = client;
        _options = options;
        _services = services;
        _logger = services.LoggerFactory.CreateLogger("K8sFlow.Operator");
        _ownsMetrics = services.Metrics is null;
        Metrics = services.Metrics ?? new K8sFlowMetrics();
        Readiness = services.Readiness ?? new OperatorReadiness();
        Identity = IdentityOf(options);
        Cache = new OperatorCache(client, options.Namespaces, options.ResyncPeriod, services.TimeProvider, services.LoggerFactory);
        _runCounts = Metrics.ObserveDagRuns(() => K8sFlowMetrics.CountDagRuns(Cache.DagRuns.List()));
        // A host's metrics read leadership from its readiness (AddK8sFlowObservability); our own metrics from us.
        _leadership = _ownsMetrics ? Metrics.ObserveLeadership(() => _isLeader) : null;
        var events = services.Events ?? new EventRecorder(client, new EventRecorderOptions { Component = Component, Instance = Identity },
            services.TimeProvider, services.LoggerFactory.CreateLogger<EventRecorder>());
        var context = new OperatorContext(client, Cache, events, Metrics, services.TimeProvider, services.LoggerFactory, options);
        // Controllers register their informer handlers now, before the informers start.
        Controllers = [.. (services.Controllers ?? DefaultControllers).Select(create => create(context))];
    }

    /// <summary>The controllers an operator runs unless told otherwise.</summary>
    public static IReadOnlyList<Func<OperatorContext, IOperatorController>> DefaultControllers { get; } =
    [
        context => new DagController(context),
        context => new DagRunController(context),
    ];

    /// <summary>This instance's leader-election identity (also the Events' reporting instance).</summary>
    public string Identity { get; }

    /// <summary>True while this instance runs the controllers.</summary>
    public bool IsLeader => _isLeader;

    /// <summary>The lease holder last seen; this instance when leader election is off.</summary>
    public string? Leader => _leader;

    /// <summary>What /readyz reports (shared with the host when it passed one).</summary>
    public OperatorReadiness Readiness { get; }

    public OperatorCache Cache { get; }
    public IReadOnlyList<IOperatorController> Controllers { get; }
    public K8sFlowMetrics Metrics { get; }

    /// <summary>Ends when the operator stopped (after <see cref="StopAsync"/> or the start token's cancellation).</summary>
    public Task Completion => _completion;

    /// <summary>The options' identity, or "&lt;host name&gt;-&lt;random&gt;" (unique per process).</summary>
    private static string IdentityOf(OperatorOptions options) =>
        options.LeaderElection.Identity ?? $"{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Starts the operator on <paramref name="client"/>; it runs until stopped or <paramref name="cancellationToken"/> is cancelled.</summary>
    public static K8sFlowOperator Start(IKubeClient client, OperatorOptions? options = null, OperatorServices? services = null,
        CancellationToken cancellationToken = default)
    {
        var instance = new K8sFlowOperator(client, options ?? new OperatorOptions(), services ?? new OperatorServices());
        var linked = CancellationTokenSource.CreateLinkedTokenSource(instance._stop.Token, cancellationToken);
        instance._completion = Task.Run(async () =>
        {
            try
            {
                await instance.RunAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                linked.Dispose();
            }
        }, CancellationToken.None);
        return instance;
    }

    /// <summary>Waits until the informer caches are synced.</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken = default) => _ready.Task.WaitAsync(cancellationToken);

    /// <summary>Waits until this instance first runs the controllers.</summary>
    public Task WaitUntilLeadingAsync(CancellationToken cancellationToken = default) => _leading.Task.WaitAsync(cancellationToken);

    /// <summary>Stops the controllers and informers; a leader releases its lease.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _completion.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        foreach (var controller in Controllers.OfType<IDisposable>())
        {
            controller.Dispose();
        }
        _runCounts.Dispose();
        _leadership?.Dispose();
        if (_ownsMetrics)
        {
            Metrics.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        _logger.LogInformation("K8sFlow operator {Identity} starting; watching {Namespaces}", Identity,
            _options.Namespaces.Count == 0 ? "all namespaces" : string.Join(", ", _options.Namespaces));
        var informers = Cache.RunAsync(cancellationToken);
        try
        {
            await Cache.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            Readiness.SetInformersSynced(true);
            _ready.TrySetResult();
            _logger.LogInformation("Informer caches synced");
            if (_options.LeaderElection.Enabled)
            {
                await CampaignAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await LeadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        await informers.ConfigureAwait(false);
        Readiness.SetInformersSynced(false);
        _logger.LogInformation("K8sFlow operator {Identity} stopped", Identity);
    }

    /// <summary>Campaigns for the lease again after each loss, until stopped.</summary>
    private async Task CampaignAsync(CancellationToken cancellationToken)
    {
        var settings = _options.LeaderElection;
        var elector = new LeaderElector(_client, new LeaderElectionOptions
        {
            LeaseName = settings.LeaseName,
            LeaseNamespace = settings.LeaseNamespace ?? _client.DefaultNamespace,
            Identity = Identity,
            LeaseDuration = settings.LeaseDuration,
            RenewDeadline = settings.RenewDeadline,
            RetryPeriod = settings.RetryPeriod,
            OnStartedLeading = LeadAsync,
            OnNewLeader = leader =>
            {
                _leader = leader;
                if (leader != Identity)
                {
                    Readiness.SetRole(OperatorRole.Standby, leader);
                }
            },
        }, _services.TimeProvider, _services.LoggerFactory.CreateLogger<LeaderElector>());
        while (!cancellationToken.IsCancellationRequested)
        {
            await elector.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LeadAsync(CancellationToken leading)
    {
        _leader = Identity;
        _isLeader = true;
        Readiness.SetRole(OperatorRole.Leader, Identity);
        _leading.TrySetResult();
        _logger.LogInformation("Running {Count} controllers as leader", Controllers.Count);
        try
        {
            await Task.WhenAll(Controllers.Select(c => c.RunAsync(leading))).ConfigureAwait(false);
        }
        finally
        {
            _isLeader = false;
            Readiness.SetRole(OperatorRole.Standby, _leader == Identity ? null : _leader);
        }
    }
}
