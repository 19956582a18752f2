using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>Propagation policies, garbage collection of owned objects and finalizers, as a controller relies on them.</summary>
public sealed class DeletionIntegrationTests : IAsyncLifetime
{
    private const string Ns = "default";
    private const string Finalizer = "k8sflow.io/test-cleanup";
    private LiveCluster _cluster = null!;

    private IKubeClient Client => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await LiveCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private async Task<ConfigMap> CreateAsync(string name, ConfigMap? owner = null, List<string>? finalizers = null) =>
        await Client.CreateAsync(KubeKinds.ConfigMap, new ConfigMap
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = Ns,
                Finalizers = finalizers,
                OwnerReferences = owner is null ? null :
                [
                    new OwnerReference
                    {
                        ApiVersion = "v1", Kind = "ConfigMap", Name = owner.Metadata.Name!, Uid = owner.Metadata.Uid!,
                        Controller = true, BlockOwnerDeletion = true,
                    },
                ],
            },
        }, cancellationToken: Live.Token());

    /// <summary>Waits (bounded, on the watch, no polling) until the object is gone.</summary>
    private async Task WaitGoneAsync(string name)
    {
        var current = await Client.TryGetAsync(KubeKinds.ConfigMap, Ns, name, Live.Token());
        if (current is null)
        {
            return;
        }
        var watch = Client.WatchAsync(KubeKinds.ConfigMap, Ns, new WatchOptions
        {
            FieldSelector = Selectors.ByName(name),
            ResourceVersion = current.Metadata.ResourceVersion,
        }, Live.Token());
        await foreach (var change in watch)
        {
            if (change.Type == WatchEventType.Deleted)
            {
                return;
            }
        }
        throw new InvalidOperationException($"the watch on {name} ended before it was deleted");
    }

    [Fact]
    public async Task Background_DeletesTheOwnerAtOnce_ThenGarbageCollectsItsDependents()
    {
        var owner = await CreateAsync("owner");
        await CreateAsync("child-1", owner);
        await CreateAsync("child-2", owner);
        var bystander = await CreateAsync("bystander");

        var returned = await Client.DeleteAsync(KubeKinds.ConfigMap, Ns, "owner", DeleteOptions.Background, Live.Token());
        await WaitGoneAsync("child-1");
        await WaitGoneAsync("child-2");

        returned.Should().BeNull("the owner itself has no finalizers: it is gone at once");
        (await Client.TryGetAsync(KubeKinds.ConfigMap, Ns, "owner", Live.Token())).Should().BeNull();
        (await Client.TryGetAsync(KubeKinds.ConfigMap, Ns, "bystander", Live.Token()))!.Metadata.Uid.Should().Be(bystander.Metadata.Uid);
    }

    [Fact]
    public async Task Foreground_KeepsTheOwnerUntilItsDependentsAreGone()
    {
        var owner = await CreateAsync("owner");
        await CreateAsync("child", owner);
        var changes = new List<(WatchEventType Type, string Name, bool Terminating)>();
        using var stop = new CancellationTokenSource(LiveCluster.Patience);
        // From the owner's version: the watch sees every change after it, however late it connects.
        var watching = Task.Run(async () =>
        {
            var watch = Client.WatchAsync(KubeKinds.ConfigMap, Ns, new WatchOptions { ResourceVersion = owner.Metadata.ResourceVersion }, stop.Token);
            await foreach (var change in watch)
            {
                changes.Add((change.Type, change.Object!.Metadata.Name!, change.Object.Metadata.DeletionTimestamp is not null));
                if (change is { Type: WatchEventType.Deleted, Object.Metadata.Name: "owner" })
                {
                    return;
                }
            }
        });

        await Client.DeleteAsync(KubeKinds.ConfigMap, Ns, "owner",
            new DeleteOptions { PropagationPolicy = PropagationPolicy.Foreground }, Live.Token());
        await watching.Within();

        var ownerMarked = changes.FindIndex(c => c is (WatchEventType.Modified, "owner", true));
        var childDeleted = changes.FindIndex(c => c is (WatchEventType.Deleted, "child", _));
        var ownerDeleted = changes.FindIndex(c => c is (WatchEventType.Deleted, "owner", _));
        ownerMarked.Should().BeGreaterThanOrEqualTo(0, "the owner first waits with a deletionTimestamp: {0}", string.Join(", ", changes));
        childDeleted.Should().BeGreaterThan(ownerMarked);
        ownerDeleted.Should().BeGreaterThan(childDeleted, "the owner goes only after its blocking dependents");
    }

    [Fact]
    public async Task Orphan_DeletesOnlyTheOwner_AndTheDependentLosesItsOwnerReference()
    {
        var owner = await CreateAsync("owner");
        await CreateAsync("child", owner);

        await Client.DeleteAsync(KubeKinds.ConfigMap, Ns, "owner", new DeleteOptions { PropagationPolicy = PropagationPolicy.Orphan }, Live.Token());
        await WaitGoneAsync("owner");

        var child = await Client.GetAsync(KubeKinds.ConfigMap, Ns, "child", Live.Token());
        child.Metadata.OwnerReferences.Should().BeNullOrEmpty();
    }

    [Fact]
    public async Task Finalizer_HoldsTheObjectWithADeletionTimestamp_UntilItIsRemoved()
    {
        await CreateAsync("guarded", finalizers: [Finalizer]);

        var marked = await Client.DeleteAsync(KubeKinds.ConfigMap, Ns, "guarded", cancellationToken: Live.Token());
        var stillThere = await Client.GetAsync(KubeKinds.ConfigMap, Ns, "guarded", Live.Token());
        var released = async () => await Client.PatchAsync(KubeKinds.ConfigMap, Ns, "guarded",
            KubePatch.Merge(new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }), cancellationToken: Live.Token());
        await released.Should().NotThrowAsync();
        await WaitGoneAsync("guarded");

        marked.Should().NotBeNull("an object with finalizers is returned, marked for deletion");
        marked!.Metadata.DeletionTimestamp.Should().NotBeNull();
        stillThere.Metadata.DeletionTimestamp.Should().NotBeNull();
        stillThere.Metadata.Finalizers.Should().Equal(Finalizer);
        (await Client.TryGetAsync(KubeKinds.ConfigMap, Ns, "guarded", Live.Token())).Should().BeNull();
    }

    [Fact]
    public async Task Delete_WithStaleResourceVersionPrecondition_IsConflict()
    {
        var created = await CreateAsync("cm");
        await Client.PatchAsync(KubeKinds.ConfigMap, Ns, "cm", KubePatch.Merge(new JsonObject { ["data"] = new JsonObject { ["k"] = "v" } }),
            cancellationToken: Live.Token());

        var delete = async () => await Client.DeleteAsync(KubeKinds.ConfigMap, Ns, "cm",
            new DeleteOptions { Preconditions = new Preconditions { ResourceVersion = created.Metadata.ResourceVersion } }, Live.Token());

        (await delete.Should().ThrowAsync<KubeApiException>()).Which.IsConflict.Should().BeTrue();
        (await Client.TryGetAsync(KubeKinds.ConfigMap, Ns, "cm", Live.Token())).Should().NotBeNull();
    }
}
