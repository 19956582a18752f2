using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class ServerSideApplyTests
{
    private const string Apply = "application/apply-patch+yaml";
    private const string W1 = Objects.Widgets + "/w1";

    private static async Task<TestCluster> WithCrd()
    {
        var cluster = await TestCluster.StartAsync();
        await cluster.InstallWidgetCrdAsync();
        return cluster;
    }

    private static string WidgetYaml(string spec) => $"""
        apiVersion: tests.k8sflow.io/v1
        kind: Widget
        metadata:
          name: w1
        spec:
        {spec}
        """;

    private static JsonObject Entry(JsonObject obj, string manager) =>
        obj["metadata"]!["managedFields"]!.AsArray().Single(m => m!["manager"]!.GetValue<string>() == manager)!.AsObject();

    [Fact]
    public async Task Apply_MissingObject_CreatesIt_AndRecordsOwnership()
    {
        await using var cluster = await WithCrd();

        var (status, widget, _) = await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4\n  color: blue"));

        status.Should().Be(HttpStatusCode.Created);
        widget["spec"]!["size"]!.GetValue<int>().Should().Be(4);
        var entry = Entry(widget, "alice");
        entry["operation"]!.GetValue<string>().Should().Be("Apply");
        entry["fieldsType"]!.GetValue<string>().Should().Be("FieldsV1");
        entry["fieldsV1"]!["f:spec"]!["f:size"].Should().NotBeNull();
        entry["fieldsV1"]!["f:spec"]!["f:color"].Should().NotBeNull();
    }

    [Fact]
    public async Task Apply_WithoutFieldManager_Is400()
    {
        await using var cluster = await WithCrd();

        var (status, body, _) = await cluster.PatchAsync(W1, Apply, WidgetYaml("  size: 4"));

        status.Should().Be(HttpStatusCode.BadRequest);
        body["message"]!.GetValue<string>().Should().Contain("fieldManager");
    }

    [Fact]
    public async Task Apply_FieldOwnedByAnotherManagerWithOtherValue_Is409WithCauses_UnlessForced()
    {
        await using var cluster = await WithCrd();
        await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4\n  color: blue"));

        var (status, body, _) = await cluster.PatchAsync($"{W1}?fieldManager=bob", Apply, WidgetYaml("  size: 5\n  color: blue"));

        status.Should().Be(HttpStatusCode.Conflict);
        body["reason"]!.GetValue<string>().Should().Be("Conflict");
        body["message"]!.GetValue<string>().Should().Be("Apply failed with 1 conflict: conflict with \"alice\" using tests.k8sflow.io/v1: .spec.size");
        var cause = body["details"]!["causes"]![0]!;
        cause["reason"]!.GetValue<string>().Should().Be("FieldManagerConflict");
        cause["field"]!.GetValue<string>().Should().Be(".spec.size");

        var (forced, widget, _) = await cluster.PatchAsync($"{W1}?fieldManager=bob&force=true", Apply, WidgetYaml("  size: 5\n  color: blue"));
        forced.Should().Be(HttpStatusCode.OK);
        widget["spec"]!["size"]!.GetValue<int>().Should().Be(5);
        Entry(widget, "alice")["fieldsV1"]!["f:spec"]!["f:size"].Should().BeNull("bob took spec.size");
        Entry(widget, "bob")["fieldsV1"]!["f:spec"]!["f:size"].Should().NotBeNull();
    }

    [Fact]
    public async Task Apply_SameValueAsOtherOwner_SharesOwnershipWithoutConflict()
    {
        await using var cluster = await WithCrd();
        await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4"));

        var (status, widget, _) = await cluster.PatchAsync($"{W1}?fieldManager=bob", Apply, WidgetYaml("  size: 4"));

        status.Should().Be(HttpStatusCode.OK);
        Entry(widget, "alice")["fieldsV1"]!["f:spec"]!["f:size"].Should().NotBeNull();
        Entry(widget, "bob")["fieldsV1"]!["f:spec"]!["f:size"].Should().NotBeNull();
    }

    [Fact]
    public async Task Apply_OmittingAFieldItOwned_RemovesIt_ButNotFieldsOthersOwn()
    {
        await using var cluster = await WithCrd();
        await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4\n  label: abc\n  color: blue"));
        await cluster.PatchAsync($"{W1}?fieldManager=bob", Apply, WidgetYaml("  size: 4\n  color: blue"));

        var (_, widget, _) = await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4"));

        widget["spec"]!["label"].Should().BeNull("alice alone owned it and stopped applying it");
        widget["spec"]!["color"]!.GetValue<string>().Should().Be("blue", "bob still applies it");
    }

    [Fact]
    public async Task Apply_MapList_MergesItemsByKey_AndRemovesDroppedItems()
    {
        await using var cluster = await WithCrd();
        await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4\n  parts:\n  - {name: bolt, count: 1}\n  - {name: nut, count: 2}"));
        await cluster.PatchAsync($"{W1}?fieldManager=bob", Apply, WidgetYaml("  size: 4\n  parts:\n  - {name: gear, count: 3}"));

        var (status, widget, _) = await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4\n  parts:\n  - {name: bolt, count: 5}"));

        status.Should().Be(HttpStatusCode.OK, widget.ToJsonString());
        var parts = widget["spec"]!["parts"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["count"]!.GetValue<int>());
        parts.Should().BeEquivalentTo(new Dictionary<string, int> { ["bolt"] = 5, ["gear"] = 3 });
        Entry(widget, "bob")["fieldsV1"]!["f:spec"]!["f:parts"]!["k:{\"name\":\"gear\"}"].Should().NotBeNull();
    }

    [Fact]
    public async Task Update_TakesOwnershipOfTheFieldsItChanges()
    {
        await using var cluster = await WithCrd();
        await cluster.PatchAsync($"{W1}?fieldManager=alice", Apply, WidgetYaml("  size: 4"));

        var (_, widget, _) = await cluster.PatchAsync($"{W1}?fieldManager=editor", "application/merge-patch+json", """{"spec":{"size":7}}""");

        Entry(widget, "editor")["operation"]!.GetValue<string>().Should().Be("Update");
        Entry(widget, "editor")["fieldsV1"]!["f:spec"]!["f:size"].Should().NotBeNull();
        widget["metadata"]!["managedFields"]!.AsArray().Where(m => m!["manager"]!.GetValue<string>() == "alice")
            .Should().BeEmpty("alice owned nothing else");
    }

    [Fact]
    public async Task Apply_JsonBody_IsAccepted()
    {
        await using var cluster = await WithCrd();

        var (status, _, _) = await cluster.PatchAsync($"{W1}?fieldManager=kubectl", Apply,
            """{"apiVersion":"tests.k8sflow.io/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":2}}""");

        status.Should().Be(HttpStatusCode.Created);
    }
}
