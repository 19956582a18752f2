using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class ListTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    private static IEnumerable<string> Names(JsonObject list) => list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>());

    [Fact]
    public async Task Paging_WithContinue_ReturnsEveryItemOnce_FromTheFirstPagesSnapshot()
    {
        await using var cluster = await TestCluster.StartAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            await cluster.PostAsync(ConfigMaps, Objects.ConfigMap(name));
        }

        var (_, first, _) = await cluster.GetAsync($"{ConfigMaps}?limit=2");
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("d"));
        await cluster.DeleteAsync($"{ConfigMaps}/c");
        var token = first["metadata"]!["continue"]!.GetValue<string>();
        var (_, second, _) = await cluster.GetAsync($"{ConfigMaps}?limit=2&continue={Uri.EscapeDataString(token)}");

        Names(first).Should().Equal("a", "b");
        first["metadata"]!["remainingItemCount"]!.GetValue<long>().Should().Be(1);
        Names(second).Should().Equal("c");
        second["metadata"]!["continue"].Should().BeNull();
        second["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be(first["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task AllNamespaces_ListsAcrossNamespaces()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.PostAsync("/api/v1/namespaces/kube-system/configmaps", Objects.ConfigMap("b"));

        var (_, list, _) = await cluster.GetAsync("/api/v1/configmaps");

        list["kind"]!.GetValue<string>().Should().Be("ConfigMapList");
        Names(list).Should().Equal("a", "b");
    }

    [Theory]
    [InlineData("tier=gold", new[] { "gold" })]
    [InlineData("tier==gold", new[] { "gold" })]
    [InlineData("tier!=gold", new[] { "none", "silver" })]
    [InlineData("tier in (gold,silver)", new[] { "gold", "silver" })]
    [InlineData("tier notin (gold)", new[] { "none", "silver" })]
    [InlineData("tier", new[] { "gold", "silver" })]
    [InlineData("!tier", new[] { "none" })]
    [InlineData("tier,size=big", new[] { "gold" })]
    public async Task LabelSelector_SupportsEveryOperator(string selector, string[] expected)
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("gold", labels: new JsonObject { ["tier"] = "gold", ["size"] = "big" }));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("silver", labels: new JsonObject { ["tier"] = "silver" }));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("none"));

        var (status, list, _) = await cluster.GetAsync($"{ConfigMaps}?labelSelector={Uri.EscapeDataString(selector)}");

        status.Should().Be(HttpStatusCode.OK);
        Names(list).Should().Equal(expected);
    }

    [Fact]
    public async Task LabelSelector_Malformed_Is400()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, _, _) = await cluster.GetAsync($"{ConfigMaps}?labelSelector={Uri.EscapeDataString("tier in gold")}");

        status.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task FieldSelector_OnEventInvolvedObject()
    {
        await using var cluster = await TestCluster.StartAsync();
        foreach (var (name, target, reason) in new[] { ("e1", "run1", "Started"), ("e2", "run2", "Started"), ("e3", "run1", "Failed") })
        {
            await cluster.PostAsync("/api/v1/namespaces/default/events", new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name },
                ["involvedObject"] = new JsonObject { ["kind"] = "DagRun", ["name"] = target, ["namespace"] = "default" },
                ["reason"] = reason,
                ["type"] = "Normal",
                ["source"] = new JsonObject { ["component"] = "k8sflow" },
            });
        }

        var (_, list, _) = await cluster.GetAsync("/api/v1/namespaces/default/events?fieldSelector=" +
            Uri.EscapeDataString("involvedObject.name=run1,involvedObject.kind=DagRun,reason!=Failed,source=k8sflow"));

        Names(list).Should().Equal("e1");
    }

    [Fact]
    public async Task FieldSelector_OnPodPhase()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p1"));
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p2"));
        await cluster.PatchAsync("/api/v1/namespaces/default/pods/p2/status", "application/merge-patch+json", """{"status":{"phase":"Running"}}""");

        var (_, list, _) = await cluster.GetAsync("/api/v1/namespaces/default/pods?fieldSelector=status.phase%3DRunning");

        Names(list).Should().Equal("p2");
    }

    [Fact]
    public async Task FieldSelector_UnsupportedField_Is400()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.GetAsync($"{ConfigMaps}?fieldSelector=data.k%3Dv");

        status.Should().Be(HttpStatusCode.BadRequest);
        body["message"]!.GetValue<string>().Should().Be("field label not supported: data.k");
    }
}
