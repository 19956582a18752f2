using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Operator.Tests.DagController;

/// <summary>An <see cref="IEventRecorder"/> that keeps what it was asked to record.</summary>
internal sealed class RecordingEventRecorder : IEventRecorder
{
    private readonly List<RecordedEvent> _events = [];

    public IReadOnlyList<RecordedEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public Task<Event?> RecordAsync(KubernetesObject regarding, string type, string reason, string message, string? action = null,
        CancellationToken cancellationToken = default)
    {
        lock (_events)
        {
            _events.Add(new RecordedEvent(regarding.Kind, regarding.Metadata.Name, type, reason, message));
        }
        return Task.FromResult<Event?>(new Event { Type = type, Reason = reason, Message = message });
    }
}

internal sealed record RecordedEvent(string Kind, string? Name, string Type, string Reason, string Message);
