using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Crds;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>K8sFlow's CRDs installed through the API, and the /status subresource of a Dag.</summary>
public sealed class StatusIntegrationTests : IAsyncLifetime
{
    private LiveCluster _cluster = null!;

    private IKubeClient Client => _cluster.Client;

    public async Task InitializeAsync()
    {
        _cluster = await LiveCluster.StartAsync();
        await CrdInstaller.InstallAsync(Client, cancellationToken: Live.Token());
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static Dag HelloDag(DagStatus? status = null) => new()
    {
        Kind = K8sFlowApi.DagKind,
        Metadata = new ObjectMeta { Name = "hello", Namespace = "default" },
        Spec = new DagSpec { Tasks = [new TaskSpec { Name = "hello", Image = "busybox:1.36", Command = ["echo", "hi"] }] },
        Status = status,
    };

    private static DagStatus ReadyStatus(long observedGeneration) => new()
    {
        ObservedGeneration = observedGeneration,
        Conditions = [new Condition { Type = "Ready", Status = "True", Reason = "Valid" }],
    };

    [Fact]
    public async Task InstallCrds_AgainOnAnInstalledCluster_IsIdempotent_AndBothAreEstablished()
    {
        var again = await CrdInstaller.InstallAsync(Client, cancellationToken: Live.Token());

        again.Select(c => c.Metadata.Name).Should().Equal("dags.k8sflow.io", "dagruns.k8sflow.io");
        again.Should().OnlyContain(c => CrdInstaller.IsEstablished(c));
        again.Should().OnlyContain(c => c.Metadata.Generation == 1, "re-applying the same CRDs changes nothing");
    }

    [Fact]
    public async Task Create_DropsStatus_ForAKindWithAStatusSubresource()
    {
        var created = await Client.CreateAsync(KubeKinds.Dag, HelloDag(ReadyStatus(7)), cancellationToken: Live.Token());

        created.Status.Should().BeNull();
        created.Metadata.Generation.Should().Be(1);
    }

    [Fact]
    public async Task ReplaceStatus_TakesOnlyStatus_KeepsSpec_AndBumpsNoGeneration()
    {
        var created = await Client.CreateAsync(KubeKinds.Dag, HelloDag(), cancellationToken: Live.Token());

        var written = await Client.ReplaceStatusAsync(KubeKinds.Dag, created with
        {
            Spec = created.Spec with { Paused = true },
            Status = ReadyStatus(1),
        }, cancellationToken: Live.Token());

        written.Status.Should().BeEquivalentTo(ReadyStatus(1));
        written.Spec.Paused.Should().BeNull("a /status write ignores spec");
        written.Metadata.Generation.Should().Be(1);
        written.Metadata.ResourceVersion.Should().NotBe(created.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task PatchStatus_ThenSpecChange_GenerationMovesOnlyWithSpec_AndStatusSurvivesSpecWrites()
    {
        await Client.CreateAsync(KubeKinds.Dag, HelloDag(), cancellationToken: Live.Token());

        var statusPatched = await Client.PatchStatusAsync(KubeKinds.Dag, "default", "hello",
            KubePatch.Merge(new JsonObject { ["status"] = new JsonObject { ["observedGeneration"] = 1 } }), cancellationToken: Live.Token());
        var specPatched = await Client.PatchAsync(KubeKinds.Dag, "default", "hello",
            KubePatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["paused"] = true }, ["status"] = new JsonObject { ["observedGeneration"] = 9 } }),
            cancellationToken: Live.Token());

        statusPatched.Metadata.Generation.Should().Be(1);
        statusPatched.Status!.ObservedGeneration.Should().Be(1);
        specPatched.Metadata.Generation.Should().Be(2);
        specPatched.Spec.Paused.Should().BeTrue();
        specPatched.Status!.ObservedGeneration.Should().Be(1, "writes to the main resource ignore status");
    }
}
