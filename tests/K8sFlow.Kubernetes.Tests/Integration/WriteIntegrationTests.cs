using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>Create, replace, the three patch types and server-side apply, against the local cluster over HTTPS.</summary>
public sealed class WriteIntegrationTests : IAsyncLifetime
{
    private LiveCluster _cluster = null!;

    private IKubeClient Client => _cluster.Client;

    public async Task InitializeAsync() => _cluster = await LiveCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static ConfigMap ConfigMap(string name, Dictionary<string, string>? data = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "default" },
        Data = data ?? new Dictionary<string, string> { ["k"] = "v" },
    };

    [Fact]
    public async Task Replace_WithStaleResourceVersion_IsConflict_AndKeepsTheNewerWrite()
    {
        var created = await Client.CreateAsync(KubeKinds.ConfigMap, ConfigMap("cm"), cancellationToken: Live.Token());
        var fetched = await Client.GetAsync(KubeKinds.ConfigMap, "default", "cm", Live.Token());
        var newer = await Client.ReplaceAsync(KubeKinds.ConfigMap, fetched with { Data = new() { ["k"] = "first" } }, cancellationToken: Live.Token());

        var stale = async () => await Client.ReplaceAsync(KubeKinds.ConfigMap, fetched with { Data = new() { ["k"] = "second" } },
            cancellationToken: Live.Token());

        var conflict = (await stale.Should().ThrowAsync<KubeApiException>()).Which;
        conflict.IsConflict.Should().BeTrue();
        (conflict.Code, conflict.Reason).Should().Be((409, "Conflict"));
        conflict.ServerMessage.Should().Contain("the object has been modified");
        long.Parse(newer.Metadata.ResourceVersion!).Should().BeGreaterThan(long.Parse(created.Metadata.ResourceVersion!));
        (await Client.GetAsync(KubeKinds.ConfigMap, "default", "cm", Live.Token())).Data!["k"].Should().Be("first");
    }

    [Fact]
    public async Task CreateTwice_IsAlreadyExists_NotConflict()
    {
        await Client.CreateAsync(KubeKinds.ConfigMap, ConfigMap("cm"), cancellationToken: Live.Token());

        var again = async () => await Client.CreateAsync(KubeKinds.ConfigMap, ConfigMap("cm"), cancellationToken: Live.Token());

        var error = (await again.Should().ThrowAsync<KubeApiException>()).Which;
        (error.IsAlreadyExists, error.IsConflict, error.Code).Should().Be((true, false, 409));
    }

    [Fact]
    public async Task Get_Missing_IsNotFound_AndTryGetIsNull()
    {
        var get = async () => await Client.GetAsync(KubeKinds.ConfigMap, "default", "missing", Live.Token());

        (await get.Should().ThrowAsync<KubeApiException>()).Which.IsNotFound.Should().BeTrue();
        (await Client.TryGetAsync(KubeKinds.ConfigMap, "default", "missing", Live.Token())).Should().BeNull();
    }

    [Fact]
    public async Task MergePatch_MergesMaps_AndNullRemovesAKey()
    {
        await Client.CreateAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["keep"] = "1", ["drop"] = "2" }), cancellationToken: Live.Token());

        var patched = await Client.PatchAsync(KubeKinds.ConfigMap, "default", "cm",
            KubePatch.Merge(new JsonObject { ["data"] = new JsonObject { ["drop"] = null, ["add"] = "3" } }), cancellationToken: Live.Token());

        patched.Data.Should().Equal(new Dictionary<string, string> { ["keep"] = "1", ["add"] = "3" });
    }

    [Fact]
    public async Task JsonPatch_AppliesOperationsInOrder_AndAFailedTestOperationChangesNothing()
    {
        await Client.CreateAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["a"] = "1" }), cancellationToken: Live.Token());

        var patched = await Client.PatchAsync(KubeKinds.ConfigMap, "default", "cm", KubePatch.Json(
        [
            new JsonObject { ["op"] = "test", ["path"] = "/data/a", ["value"] = "1" },
            new JsonObject { ["op"] = "replace", ["path"] = "/data/a", ["value"] = "2" },
            new JsonObject { ["op"] = "add", ["path"] = "/data/b", ["value"] = "3" },
        ]), cancellationToken: Live.Token());
        var failing = async () => await Client.PatchAsync(KubeKinds.ConfigMap, "default", "cm", KubePatch.Json(
        [
            new JsonObject { ["op"] = "remove", ["path"] = "/data/b" },
            new JsonObject { ["op"] = "test", ["path"] = "/data/a", ["value"] = "1" },
        ]), cancellationToken: Live.Token());

        patched.Data.Should().Equal(new Dictionary<string, string> { ["a"] = "2", ["b"] = "3" });
        (await failing.Should().ThrowAsync<KubeApiException>()).Which.Code.Should().BeOneOf(409, 422);
        (await Client.GetAsync(KubeKinds.ConfigMap, "default", "cm", Live.Token())).Data.Should().ContainKey("b");
    }

    [Fact]
    public async Task ServerSideApply_SecondManagerChangingAnOwnedField_Is409WithCauses_UntilForced()
    {
        await Client.ApplyAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["shared"] = "from-a", ["only-a"] = "x" }), "manager-a",
            cancellationToken: Live.Token());

        var contested = async () => await Client.ApplyAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["shared"] = "from-b" }), "manager-b",
            cancellationToken: Live.Token());
        var conflict = (await contested.Should().ThrowAsync<KubeApiException>()).Which;
        var forced = await Client.ApplyAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["shared"] = "from-b" }), "manager-b", force: true,
            cancellationToken: Live.Token());
        var formerOwner = async () => await Client.ApplyAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["shared"] = "from-a", ["only-a"] = "x" }),
            "manager-a", cancellationToken: Live.Token());

        conflict.IsConflict.Should().BeTrue();
        conflict.Causes.Should().ContainSingle().Which.Should().BeEquivalentTo(new
        {
            Reason = "FieldManagerConflict",
            Field = ".data.shared",
        });
        conflict.Causes[0].Message.Should().Contain("manager-a");
        forced.Data.Should().Equal(new Dictionary<string, string> { ["shared"] = "from-b", ["only-a"] = "x" });
        (await formerOwner.Should().ThrowAsync<KubeApiException>("forcing moved ownership of .data.shared to manager-b"))
            .Which.Causes.Should().ContainSingle().Which.Message.Should().Contain("manager-b");
    }

    [Fact]
    public async Task ServerSideApply_CreatesWhenMissing_AndAFieldTheManagerStopsApplyingIsRemoved()
    {
        var created = await Client.ApplyAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["a"] = "1", ["b"] = "2" }), "owner",
            cancellationToken: Live.Token());

        var reapplied = await Client.ApplyAsync(KubeKinds.ConfigMap, ConfigMap("cm", new() { ["a"] = "1" }), "owner", cancellationToken: Live.Token());

        created.Metadata.Uid.Should().NotBeNullOrEmpty();
        reapplied.Metadata.Uid.Should().Be(created.Metadata.Uid);
        reapplied.Data.Should().Equal(new Dictionary<string, string> { ["a"] = "1" });
    }
}
