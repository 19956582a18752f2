using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>One change as a writer made it or as an informer handler received it (Rv null: a delete whose version the writer cannot know).</summary>
internal sealed record Change(WatchEventType Type, string Name, string? Rv);

/// <summary>
/// Holds back WATCH requests while closed, as a network partition between client and server would;
/// LIST and writes pass. Fault injection on the client side, in front of the kubeconfig's handler.
/// </summary>
internal sealed class WatchGate : DelegatingHandler
{
    private volatile Closed? _closed;

    /// <summary>From now on watch requests wait; <see cref="WatchHeldAsync"/> completes when the first one does.</summary>
    public void Close() => _closed = new Closed(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
        new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public Task WatchHeldAsync() => _closed?.Held.Task ?? throw new InvalidOperationException("the gate is open");

    public void Open()
    {
        var closed = _closed;
        _closed = null;
        closed?.Opened.TrySetResult();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_closed is { } closed && request.RequestUri?.Query.Contains("watch=true", StringComparison.Ordinal) == true)
        {
            closed.Held.TrySetResult();
            await closed.Opened.Task.WaitAsync(cancellationToken);
        }
        return await base.SendAsync(request, cancellationToken);
    }

    private sealed record Closed(TaskCompletionSource Opened, TaskCompletionSource Held);
}

/// <summary>What an informer's handlers received, in order, and the state they add up to; tests wait on it, never sleep.</summary>
internal sealed class DeliveryRecorder
{
    private readonly Lock _lock = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<string, string> _state = new(StringComparer.Ordinal);
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public sealed record Delivery(WatchEventType Type, string Name, string Rv, string? OldRv);

    public InformerHandler<ConfigMap> Handler => new(
        OnAdd: obj => Record(new Delivery(WatchEventType.Added, obj.Metadata.Name!, obj.Metadata.ResourceVersion!, null)),
        OnUpdate: (old, obj) => Record(new Delivery(WatchEventType.Modified, obj.Metadata.Name!, obj.Metadata.ResourceVersion!, old.Metadata.ResourceVersion)),
        OnDelete: obj => Record(new Delivery(WatchEventType.Deleted, obj.Metadata.Name!, obj.Metadata.ResourceVersion!, null)));

    public IReadOnlyList<Delivery> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>name -> resourceVersion, as the handlers saw it.</summary>
    public IReadOnlyDictionary<string, string> State
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, string>(_state);
            }
        }
    }

    public Task WaitForCountAsync(int count) => WaitUntilAsync(() => _deliveries.Count >= count);

    public Task WaitForStateAsync(IReadOnlyDictionary<string, string> expected) =>
        WaitUntilAsync(() => _state.Count == expected.Count && expected.All(e => _state.GetValueOrDefault(e.Key) == e.Value));

    /// <summary>Completes once <paramref name="condition"/> (evaluated under the recorder's lock) holds; bounded by the caller.</summary>
    private Task WaitUntilAsync(Func<bool> condition)
    {
        lock (_lock)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
            return done.Task;
        }
    }

    private void Record(Delivery delivery)
    {
        lock (_lock)
        {
            _deliveries.Add(delivery);
            if (delivery.Type == WatchEventType.Deleted)
            {
                _state.Remove(delivery.Name);
            }
            else
            {
                _state[delivery.Name] = delivery.Rv;
            }
            foreach (var waiter in _waiters.Where(w => w.Condition()).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }
}

/// <summary>Creates, updates and deletes ConfigMaps in one namespace, one write at a time, recording each change.</summary>
internal sealed class ChangeWriter(IKubeClient client, string ns)
{
    private readonly List<string> _live = [];
    private int _created;
    private int _step;

    public List<Change> Changes { get; } = [];

    public async Task CreateAsync(string name)
    {
        var created = await client.CreateAsync(KubeKinds.ConfigMap, new ConfigMap
        {
            Metadata = new ObjectMeta { Name = name, Namespace = ns },
            Data = new Dictionary<string, string> { ["step"] = "0" },
        }, cancellationToken: Live.Token());
        _live.Add(name);
        Changes.Add(new Change(WatchEventType.Added, name, created.Metadata.ResourceVersion));
    }

    public async Task UpdateAsync(string name)
    {
        var updated = await client.PatchAsync(KubeKinds.ConfigMap, ns, name,
            KubePatch.Merge(new JsonObject { ["data"] = new JsonObject { ["step"] = (++_step).ToString() } }), cancellationToken: Live.Token());
        Changes.Add(new Change(WatchEventType.Modified, name, updated.Metadata.ResourceVersion));
    }

    public async Task DeleteAsync(string name)
    {
        await client.DeleteAsync(KubeKinds.ConfigMap, ns, name, cancellationToken: Live.Token());
        _live.Remove(name);
        Changes.Add(new Change(WatchEventType.Deleted, name, null));
    }

    /// <summary><paramref name="count"/> changes in a fixed pattern: per four, a create, two updates and a delete.</summary>
    public async Task ChurnAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var slot = Changes.Count % 4;
            if (slot == 3 && _live.Count > 1)
            {
                await DeleteAsync(_live[0]);
            }
            else if (slot is 1 or 2 && _live.Count > 0)
            {
                await UpdateAsync(_live[^1]);
            }
            else
            {
                await CreateAsync($"cm-{_created++:000}");
            }
        }
    }
}
