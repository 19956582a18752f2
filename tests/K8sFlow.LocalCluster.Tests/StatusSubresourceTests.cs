using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class StatusSubresourceTests
{
    private const string W1 = Objects.Widgets + "/w1";

    private static async Task<TestCluster> WithWidget()
    {
        var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        var widget = Objects.Widget("w1");
        widget["status"] = new JsonObject { ["phase"] = "Sneaky" };
        var (status, _, _) = await cluster.PostAsync(Objects.Widgets, widget);
        status.Should().Be(HttpStatusCode.Created);
        return cluster;
    }

    [Fact]
    public async Task Post_DropsStatus()
    {
        await using var cluster = await WithWidget();

        var (_, widget, _) = await cluster.GetAsync(W1);

        widget["status"].Should().BeNull();
    }

    [Fact]
    public async Task PutStatus_TakesOnlyStatus_AndKeepsGeneration()
    {
        await using var cluster = await WithWidget();
        var (_, widget, _) = await cluster.GetAsync(W1);
        widget["status"] = new JsonObject { ["phase"] = "Ready" };
        widget["spec"]!["size"] = 9;

        var (status, updated, _) = await cluster.PutAsync(W1 + "/status", widget);

        status.Should().Be(HttpStatusCode.OK);
        updated["status"]!["phase"]!.GetValue<string>().Should().Be("Ready");
        updated["spec"]!["size"]!.GetValue<int>().Should().Be(3);
        updated["metadata"]!["generation"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public async Task PutMain_KeepsStatus_AndBumpsGenerationOnSpecChange()
    {
        await using var cluster = await WithWidget();
        await cluster.PatchAsync(W1 + "/status", "application/merge-patch+json", """{"status":{"phase":"Ready"}}""");
        var (_, widget, _) = await cluster.GetAsync(W1);
        widget["status"] = new JsonObject { ["phase"] = "Overwritten" };
        widget["spec"]!["size"] = 5;

        var (_, updated, _) = await cluster.PutAsync(W1, widget);

        updated["status"]!["phase"]!.GetValue<string>().Should().Be("Ready");
        updated["spec"]!["size"]!.GetValue<int>().Should().Be(5);
        updated["metadata"]!["generation"]!.GetValue<long>().Should().Be(2);
    }

    [Fact]
    public async Task MetadataOnlyChange_DoesNotBumpGeneration()
    {
        await using var cluster = await WithWidget();

        var (_, patched, _) = await cluster.PatchAsync(W1, "application/merge-patch+json", """{"metadata":{"labels":{"team":"data"}}}""");

        patched["metadata"]!["labels"]!["team"]!.GetValue<string>().Should().Be("data");
        patched["metadata"]!["generation"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public async Task StatusOfKindWithoutStatusSubresource_Is404()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/namespaces/default/configmaps", Objects.ConfigMap("c1"));

        var (status, _, _) = await cluster.PatchAsync("/api/v1/namespaces/default/configmaps/c1/status", "application/merge-patch+json", "{}");

        status.Should().Be(HttpStatusCode.NotFound);
    }
}
