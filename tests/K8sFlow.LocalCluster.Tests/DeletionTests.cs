using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

/// <summary>Finalizers, deletionTimestamp and garbage collection by ownerReferences.</summary>
public sealed class DeletionTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    private const string Jobs = "/apis/batch/v1/namespaces/default/jobs";
    private const string Pods = "/api/v1/namespaces/default/pods";

    private static JsonObject WithFinalizer(JsonObject obj, string finalizer = "tests/hold")
    {
        obj["metadata"]!["finalizers"] = new JsonArray(finalizer);
        return obj;
    }

    [Fact]
    public async Task Delete_WithFinalizer_MarksThenRemovesWhenFinalizersAreEmptied()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, WithFinalizer(Objects.ConfigMap("a")));
        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={cluster.Store.ResourceVersion}");

        var (status, marked, _) = await cluster.DeleteAsync($"{ConfigMaps}/a", new JsonObject { ["propagationPolicy"] = "Background" });
        status.Should().Be(HttpStatusCode.OK);
        marked["kind"]!.GetValue<string>().Should().Be("ConfigMap", "a pending delete answers with the object");
        marked["metadata"]!["deletionTimestamp"].Should().NotBeNull();
        (await cluster.GetAsync($"{ConfigMaps}/a")).Status.Should().Be(HttpStatusCode.OK);

        var (_, refused, _) = await cluster.PatchAsync($"{ConfigMaps}/a", "application/merge-patch+json", """{"metadata":{"finalizers":["tests/hold","tests/new"]}}""");
        refused["reason"]!.GetValue<string>().Should().Be("Invalid", "no new finalizers once deleting");

        await cluster.PatchAsync($"{ConfigMaps}/a", "application/merge-patch+json", """{"metadata":{"finalizers":null}}""");

        var modified = await watch.NextAsync();
        var emptied = await watch.NextAsync();
        var deleted = await watch.NextAsync();
        modified!["type"]!.GetValue<string>().Should().Be("MODIFIED");
        modified["object"]!["metadata"]!["deletionTimestamp"].Should().NotBeNull();
        emptied!["type"]!.GetValue<string>().Should().Be("MODIFIED");
        deleted!["type"]!.GetValue<string>().Should().Be("DELETED");
        (await cluster.GetAsync($"{ConfigMaps}/a")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    private static async Task<(JsonObject Owner, JsonObject Dependent)> OwnerAndDependent(TestCluster cluster, bool blockOwnerDeletion = true)
    {
        var (_, owner, _) = await cluster.PostAsync(Jobs, Objects.Job("owner"));
        var pod = Objects.Pod("owned");
        pod["metadata"]!["ownerReferences"] = new JsonArray(Objects.OwnerReference(owner, blockOwnerDeletion));
        var (_, dependent, _) = await cluster.PostAsync(Pods, pod);
        return (owner, dependent);
    }

    [Fact]
    public async Task Background_DeletesOwnerThenDependents()
    {
        await using var cluster = await TestCluster.StartAsync();
        await OwnerAndDependent(cluster);
        using var watch = cluster.Store.Watch(ResourceRef.Jobs, "default", new WatchOptions { ResourceVersion = cluster.Store.ResourceVersion }).Unwrap();

        var (status, body, _) = await cluster.DeleteAsync($"{Jobs}/owner", new JsonObject { ["propagationPolicy"] = "Background" });

        status.Should().Be(HttpStatusCode.OK);
        body["status"]!.GetValue<string>().Should().Be("Success");
        (await cluster.GetAsync($"{Pods}/owned")).Status.Should().Be(HttpStatusCode.NotFound);
        (await watch.ReadAllAsync().FirstAsync().Within()).Type.Should().Be(WatchEventType.Deleted);
    }

    [Fact]
    public async Task Job_DefaultPropagation_IsOrphan_DependentsLoseTheirOwnerReference()
    {
        await using var cluster = await TestCluster.StartAsync();
        await OwnerAndDependent(cluster);

        await cluster.DeleteAsync($"{Jobs}/owner");

        var (status, pod, _) = await cluster.GetAsync($"{Pods}/owned");
        status.Should().Be(HttpStatusCode.OK);
        pod["metadata"]!["ownerReferences"].Should().BeNull();
    }

    [Fact]
    public async Task Foreground_OwnerWaitsForBlockingDependents()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, dependent) = await OwnerAndDependent(cluster);
        await cluster.PatchAsync($"{Pods}/owned", "application/merge-patch+json", """{"metadata":{"finalizers":["tests/hold"]}}""");

        var (_, marked, _) = await cluster.DeleteAsync($"{Jobs}/owner", new JsonObject { ["propagationPolicy"] = "Foreground" });

        marked["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()).Should().Contain("foregroundDeletion");
        var (_, pod, _) = await cluster.GetAsync($"{Pods}/owned");
        pod["metadata"]!["deletionTimestamp"].Should().NotBeNull("the dependent is being deleted");
        (await cluster.GetAsync($"{Jobs}/owner")).Status.Should().Be(HttpStatusCode.OK, "a blocking dependent remains");

        await cluster.PatchAsync($"{Pods}/owned", "application/merge-patch+json", """{"metadata":{"finalizers":null}}""");

        (await cluster.GetAsync($"{Pods}/owned")).Status.Should().Be(HttpStatusCode.NotFound);
        (await cluster.GetAsync($"{Jobs}/owner")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Foreground_WithoutBlockingDependents_RemovesOwnerAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync();
        await OwnerAndDependent(cluster);

        await cluster.DeleteAsync($"{Jobs}/owner?propagationPolicy=Foreground");

        (await cluster.GetAsync($"{Pods}/owned")).Status.Should().Be(HttpStatusCode.NotFound);
        (await cluster.GetAsync($"{Jobs}/owner")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Dependent_WithAnotherLiveOwner_OnlyLosesTheDeletedOwner()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (owner, _) = await OwnerAndDependent(cluster);
        var (_, second, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("second"));
        var secondRef = Objects.OwnerReference(second);
        secondRef["controller"] = false;
        await cluster.PatchAsync($"{Pods}/owned", "application/merge-patch+json",
            new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(Objects.OwnerReference(owner), secondRef) } }.ToJsonString());

        await cluster.DeleteAsync($"{Jobs}/owner?propagationPolicy=Background");

        var (status, pod, _) = await cluster.GetAsync($"{Pods}/owned");
        status.Should().Be(HttpStatusCode.OK);
        pod["metadata"]!["ownerReferences"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).Should().Equal("second");
    }

    [Fact]
    public async Task GracefulPodDeletion_MarksPodTerminating_UntilDeletedWithGraceZero()
    {
        await using var cluster = await TestCluster.StartAsync(o => o with { Store = o.Store with { GracefulPodDeletion = true } });
        await cluster.PostAsync(Pods, Objects.Pod("p1"));

        var (_, marked, _) = await cluster.DeleteAsync($"{Pods}/p1");
        marked["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>().Should().Be(30);
        (await cluster.GetAsync($"{Pods}/p1")).Status.Should().Be(HttpStatusCode.OK);

        var (_, gone, _) = await cluster.DeleteAsync($"{Pods}/p1", new JsonObject { ["gracePeriodSeconds"] = 0 });

        gone["status"]!.GetValue<string>().Should().Be("Success");
        (await cluster.GetAsync($"{Pods}/p1")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeleteNamespace_RemovesItsObjects()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "team" } });
        await cluster.PostAsync("/api/v1/namespaces/team/configmaps", Objects.ConfigMap("c"));

        await cluster.DeleteAsync("/api/v1/namespaces/team");

        (await cluster.GetAsync("/api/v1/namespaces/team/configmaps/c")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeleteCollection_WithLabelSelector()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a", labels: new JsonObject { ["run"] = "1" }));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));

        var (status, _, _) = await cluster.DeleteAsync($"{ConfigMaps}?labelSelector=run%3D1");

        status.Should().Be(HttpStatusCode.OK);
        (await cluster.GetAsync($"{ConfigMaps}/a")).Status.Should().Be(HttpStatusCode.NotFound);
        (await cluster.GetAsync($"{ConfigMaps}/b")).Status.Should().Be(HttpStatusCode.OK);
    }
}
