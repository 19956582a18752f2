using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class PatchTests
{
    private const string Pods = "/api/v1/namespaces/default/pods";
    private const string MergePatch = "application/merge-patch+json";
    private const string JsonPatchType = "application/json-patch+json";
    private const string Smp = "application/strategic-merge-patch+json";

    private static async Task<TestCluster> WithPod(JsonObject pod)
    {
        var cluster = await TestCluster.StartAsync();
        (await cluster.PostAsync(Pods, pod)).Status.Should().Be(HttpStatusCode.Created);
        return cluster;
    }

    private static JsonObject TwoContainerPod()
    {
        var pod = Objects.Pod("p1", "main", "sidecar");
        pod["spec"]!["containers"]![0]!["env"] = new JsonArray(
            new JsonObject { ["name"] = "A", ["value"] = "1" },
            new JsonObject { ["name"] = "B", ["value"] = "2" });
        pod["metadata"]!["finalizers"] = new JsonArray("x/one", "x/two");
        return pod;
    }

    private static IEnumerable<string> Names(JsonNode? list) => list!.AsArray().Select(i => i!["name"]!.GetValue<string>());

    [Fact]
    public async Task MergePatch_MergesMaps_NullDeletes_ArraysReplaced()
    {
        await using var cluster = await WithPod(TwoContainerPod());

        var (status, pod, _) = await cluster.PatchAsync($"{Pods}/p1", MergePatch,
            """{"metadata":{"labels":{"a":"1"},"finalizers":null},"spec":{"activeDeadlineSeconds":30}}""");

        status.Should().Be(HttpStatusCode.OK);
        pod["metadata"]!["labels"]!["a"]!.GetValue<string>().Should().Be("1");
        pod["metadata"]!["finalizers"].Should().BeNull();
        pod["spec"]!["activeDeadlineSeconds"]!.GetValue<int>().Should().Be(30);
        Names(pod["spec"]!["containers"]).Should().Equal("main", "sidecar");
    }

    [Fact]
    public async Task JsonPatch_AppliesOperations_AndFailedTestIs422()
    {
        await using var cluster = await WithPod(TwoContainerPod());

        var (status, pod, _) = await cluster.PatchAsync($"{Pods}/p1", JsonPatchType,
            """[{"op":"test","path":"/spec/containers/0/name","value":"main"},{"op":"replace","path":"/spec/containers/0/image","value":"alpine:3"},{"op":"add","path":"/metadata/labels","value":{"x":"y"}},{"op":"remove","path":"/metadata/finalizers/0"}]""");
        status.Should().Be(HttpStatusCode.OK);
        pod["spec"]!["containers"]![0]!["image"]!.GetValue<string>().Should().Be("alpine:3");
        pod["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()).Should().Equal("x/two");

        var (failed, body, _) = await cluster.PatchAsync($"{Pods}/p1", JsonPatchType,
            """[{"op":"test","path":"/spec/containers/0/name","value":"other"},{"op":"replace","path":"/spec/containers/0/image","value":"nope"}]""");
        failed.Should().Be((HttpStatusCode)422);
        body["message"]!.GetValue<string>().Should().Contain("test failed");
    }

    private const string Jobs = "/apis/batch/v1/namespaces/default/jobs";

    /// <summary>A suspended Job: its pod template may change (a running Job's may not).</summary>
    private static async Task<TestCluster> WithSuspendedJob()
    {
        var cluster = await TestCluster.StartAsync();
        var job = Objects.Job("j1");
        job["spec"]!["suspend"] = true;
        job["spec"]!["template"]!["spec"] = TwoContainerPod()["spec"]!.DeepClone();
        (await cluster.PostAsync(Jobs, job)).Status.Should().Be(HttpStatusCode.Created);
        return cluster;
    }

    [Fact]
    public async Task StrategicMerge_MergesContainersByName_WithSetElementOrder()
    {
        await using var cluster = await WithSuspendedJob();

        var (status, job, _) = await cluster.PatchAsync($"{Jobs}/j1", Smp, """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"main"}],
                     "containers":[{"name":"main","image":"alpine:3","$setElementOrder/env":[{"name":"B"},{"name":"A"}],"env":[{"name":"A","value":"10"}]}]}}}}
            """);

        status.Should().Be(HttpStatusCode.OK, job.ToJsonString());
        var containers = job["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Names(containers).Should().Equal("sidecar", "main");
        containers[1]!["image"]!.GetValue<string>().Should().Be("alpine:3");
        containers[0]!["image"]!.GetValue<string>().Should().Be("busybox:1.36");
        Names(containers[1]!["env"]).Should().Equal("B", "A");
        containers[1]!["env"]![1]!["value"]!.GetValue<string>().Should().Be("10");
    }

    [Fact]
    public async Task StrategicMerge_DeleteDirective_RemovesListItemByKey()
    {
        await using var cluster = await WithSuspendedJob();

        var (_, job, _) = await cluster.PatchAsync($"{Jobs}/j1", Smp,
            """{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"A","$patch":"delete"}]}]}}}}""");

        Names(job["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]).Should().Equal("B");
    }

    [Fact]
    public async Task Patch_TemplateOfRunningJob_Is422Immutable()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(Jobs, Objects.Job("j1"));

        var (status, body, _) = await cluster.PatchAsync($"{Jobs}/j1", Smp, """{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"alpine:3"}]}}}}""");

        status.Should().Be((HttpStatusCode)422);
        body["message"]!.GetValue<string>().Should().Contain("spec.template: Invalid value").And.Contain("field is immutable");
    }

    [Fact]
    public async Task StrategicMerge_FinalizersMergeAsSet_AndDeleteFromPrimitiveList()
    {
        await using var cluster = await WithPod(TwoContainerPod());

        var (_, pod, _) = await cluster.PatchAsync($"{Pods}/p1", Smp,
            """{"metadata":{"finalizers":["x/three"],"$deleteFromPrimitiveList/finalizers":["x/one"]}}""");

        pod["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()).Should().Equal("x/two", "x/three");
    }

    [Fact]
    public async Task StrategicMerge_ReplaceDirective_AndRetainKeys()
    {
        await using var cluster = await WithPod(TwoContainerPod());
        await cluster.PatchAsync($"{Pods}/p1", MergePatch, """{"metadata":{"labels":{"a":"1","b":"2"},"annotations":{"x":"1","y":"2"}}}""");

        var (_, pod, _) = await cluster.PatchAsync($"{Pods}/p1", Smp,
            """{"metadata":{"labels":{"$patch":"replace","c":"3"},"annotations":{"$retainKeys":["y","z"],"z":"3"}}}""");

        pod["metadata"]!["labels"]!.AsObject().Select(p => p.Key).Should().Equal("c");
        pod["metadata"]!["annotations"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["y", "z"]);
    }

    [Fact]
    public async Task StrategicMerge_OnCustomResource_Is415()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        await cluster.PostAsync(Objects.Widgets, Objects.Widget("w1"));

        var (status, body, _) = await cluster.PatchAsync(Objects.Widgets + "/w1", Smp, """{"spec":{"size":4}}""");

        status.Should().Be(HttpStatusCode.UnsupportedMediaType);
        body["reason"]!.GetValue<string>().Should().Be("UnsupportedMediaType");
    }

    [Fact]
    public async Task Patch_WithStaleResourceVersion_Is409()
    {
        await using var cluster = await WithPod(TwoContainerPod());

        var (status, body, _) = await cluster.PatchAsync($"{Pods}/p1", MergePatch, """{"metadata":{"resourceVersion":"1","labels":{"a":"1"}}}""");

        status.Should().Be(HttpStatusCode.Conflict);
        body["reason"]!.GetValue<string>().Should().Be("Conflict");
    }

    [Fact]
    public async Task Patch_UnknownContentType_Is415()
    {
        await using var cluster = await WithPod(TwoContainerPod());

        var (status, _, _) = await cluster.PatchAsync($"{Pods}/p1", "text/plain", "{}");

        status.Should().Be(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Patch_ImmutablePodField_Is422()
    {
        await using var cluster = await WithPod(TwoContainerPod());

        var (status, body, _) = await cluster.PatchAsync($"{Pods}/p1", MergePatch, """{"spec":{"restartPolicy":"Never"}}""");

        status.Should().Be((HttpStatusCode)422);
        body["message"]!.GetValue<string>().Should().Contain("pod updates may not change fields");
    }
}
