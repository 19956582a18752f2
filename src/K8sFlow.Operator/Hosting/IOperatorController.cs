using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Hosting;

/// <summary>
/// A controller the operator runs while it leads. It is created before the informers start (register handlers
/// and indexes in the constructor); <see cref="RunAsync"/> runs once the caches are synced, until leadership ends.
/// </summary>
public interface IOperatorController
{
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>What a controller is built from: one instance of each per operator.</summary>
public sealed record OperatorContext(
    IKubeClient Client,
    OperatorCache Cache,
    IEventRecorder Events,
    K8sFlowMetrics Metrics,
    TimeProvider Time,
    ILoggerFactory Loggers,
    OperatorOptions Options);
