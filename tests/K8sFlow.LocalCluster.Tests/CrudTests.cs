using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class CrudTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task Create_SetsServerFields_AndGetReturnsTheObject()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, created, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        status.Should().Be(HttpStatusCode.Created);
        var meta = created["metadata"]!;
        meta["uid"]!.GetValue<string>().Should().MatchRegex("^[0-9a-f-]{36}$");
        meta["creationTimestamp"]!.GetValue<string>().Should().EndWith("Z");
        meta["generation"]!.GetValue<long>().Should().Be(1);
        meta["namespace"]!.GetValue<string>().Should().Be("default");
        var (getStatus, fetched, _) = await cluster.GetAsync($"{ConfigMaps}/cm1");
        getStatus.Should().Be(HttpStatusCode.OK);
        fetched["data"]!["k"]!.GetValue<string>().Should().Be("v");
        fetched["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be(meta["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_ExistingName_Is409AlreadyExists()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        var (status, body, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        status.Should().Be(HttpStatusCode.Conflict);
        body["kind"]!.GetValue<string>().Should().Be("Status");
        body["reason"]!.GetValue<string>().Should().Be("AlreadyExists");
        body["message"]!.GetValue<string>().Should().Be("configmaps \"cm1\" already exists");
        body["details"]!["kind"]!.GetValue<string>().Should().Be("configmaps");
        body["details"]!["name"]!.GetValue<string>().Should().Be("cm1");
        body["code"]!.GetValue<int>().Should().Be(409);
    }

    [Fact]
    public async Task Get_Missing_Is404WithResourceNameInDetails()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.GetAsync("/apis/batch/v1/namespaces/default/jobs/nope");

        status.Should().Be(HttpStatusCode.NotFound);
        body["message"]!.GetValue<string>().Should().Be("jobs.batch \"nope\" not found");
        body["details"]!["group"]!.GetValue<string>().Should().Be("batch");
        body["details"]!["kind"]!.GetValue<string>().Should().Be("jobs");
    }

    [Fact]
    public async Task Create_InMissingNamespace_Is404ForTheNamespace()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.PostAsync("/api/v1/namespaces/ghost/configmaps", Objects.ConfigMap("cm1"));

        status.Should().Be(HttpStatusCode.NotFound);
        body["message"]!.GetValue<string>().Should().Be("namespaces \"ghost\" not found");
    }

    [Fact]
    public async Task Namespaces_DefaultAndKubeSystemExist()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (_, list, _) = await cluster.GetAsync("/api/v1/namespaces");

        list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Should().Contain(["default", "kube-system"]);
    }

    [Fact]
    public async Task Create_GenerateName_AppendsFiveLowercaseAlphanumerics()
    {
        await using var cluster = await TestCluster.StartAsync();
        var cm = Objects.ConfigMap("");
        cm["metadata"]!.AsObject().Remove("name");
        cm["metadata"]!["generateName"] = "run-";

        var (status, created, _) = await cluster.PostAsync(ConfigMaps, cm);

        status.Should().Be(HttpStatusCode.Created);
        created["metadata"]!["name"]!.GetValue<string>().Should().MatchRegex("^run-[a-z0-9]{5}$");
    }

    [Fact]
    public async Task Create_WithoutNameOrGenerateName_Is422NamingTheField()
    {
        await using var cluster = await TestCluster.StartAsync();
        var cm = Objects.ConfigMap("");

        var (status, body, _) = await cluster.PostAsync(ConfigMaps, cm);

        status.Should().Be((HttpStatusCode)422);
        body["details"]!["causes"]![0]!["field"]!.GetValue<string>().Should().Be("metadata.name");
    }

    [Fact]
    public async Task Put_StaleResourceVersion_Is409Conflict_EmptyIsUnconditional()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, created, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));
        var first = created.DeepClone().AsObject();
        first["data"]!["k"] = "v2";
        var (okStatus, updated, _) = await cluster.PutAsync($"{ConfigMaps}/cm1", first);
        okStatus.Should().Be(HttpStatusCode.OK);

        var stale = created.DeepClone().AsObject();
        stale["data"]!["k"] = "v3";
        var (conflict, body, _) = await cluster.PutAsync($"{ConfigMaps}/cm1", stale);

        conflict.Should().Be(HttpStatusCode.Conflict);
        body["reason"]!.GetValue<string>().Should().Be("Conflict");
        body["message"]!.GetValue<string>().Should().Be(
            "Operation cannot be fulfilled on configmaps \"cm1\": the object has been modified; please apply your changes to the latest version and try again");

        stale["metadata"]!.AsObject().Remove("resourceVersion");
        var (unconditional, last, _) = await cluster.PutAsync($"{ConfigMaps}/cm1", stale);
        unconditional.Should().Be(HttpStatusCode.OK);
        last["data"]!["k"]!.GetValue<string>().Should().Be("v3");
        long.Parse(last["metadata"]!["resourceVersion"]!.GetValue<string>()).Should()
            .BeGreaterThan(long.Parse(updated["metadata"]!["resourceVersion"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Put_NoChange_KeepsResourceVersion()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, created, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        var (_, same, _) = await cluster.PutAsync($"{ConfigMaps}/cm1", created);

        same["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be(created["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_NameDiffersFromUrl_Is400()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        var (status, body, _) = await cluster.PutAsync($"{ConfigMaps}/cm1", Objects.ConfigMap("other"));

        status.Should().Be(HttpStatusCode.BadRequest);
        body["message"]!.GetValue<string>().Should().Contain("does not match the name on the URL");
    }

    [Fact]
    public async Task Delete_WithoutFinalizers_ReturnsStatusSuccess_ThenGetIs404()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, created, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        var (status, body, _) = await cluster.DeleteAsync($"{ConfigMaps}/cm1");

        status.Should().Be(HttpStatusCode.OK);
        body["kind"]!.GetValue<string>().Should().Be("Status");
        body["status"]!.GetValue<string>().Should().Be("Success");
        body["details"]!["name"]!.GetValue<string>().Should().Be("cm1");
        body["details"]!["kind"]!.GetValue<string>().Should().Be("configmaps");
        body["details"]!["uid"]!.GetValue<string>().Should().Be(created["metadata"]!["uid"]!.GetValue<string>());
        (await cluster.GetAsync($"{ConfigMaps}/cm1")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_WithStaleUidPrecondition_Is409()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("cm1"));

        var (status, body, _) = await cluster.DeleteAsync($"{ConfigMaps}/cm1", new JsonObject { ["preconditions"] = new JsonObject { ["uid"] = "not-it" } });

        status.Should().Be(HttpStatusCode.Conflict);
        body["message"]!.GetValue<string>().Should().Contain("Precondition failed: UID in precondition: not-it");
    }

    [Fact]
    public async Task DryRun_Create_ValidatesWithoutSaving()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.PostAsync($"{ConfigMaps}?dryRun=All", Objects.ConfigMap("cm1"));

        status.Should().Be(HttpStatusCode.Created);
        body["metadata"]!["name"]!.GetValue<string>().Should().Be("cm1");
        (await cluster.GetAsync($"{ConfigMaps}/cm1")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ResourceVersion_IsOneGlobalCounter_BumpedByEveryWriteAndDelete()
    {
        await using var cluster = await TestCluster.StartAsync();
        var before = long.Parse(cluster.Store.ResourceVersion);

        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p"));
        await cluster.DeleteAsync($"{ConfigMaps}/a");

        long.Parse(cluster.Store.ResourceVersion).Should().Be(before + 3);
    }

    [Fact]
    public async Task UnknownResource_Is404()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.GetAsync("/apis/nothing.io/v1/namespaces/default/things");

        status.Should().Be(HttpStatusCode.NotFound);
        body["message"]!.GetValue<string>().Should().Be("the server could not find the requested resource");
    }
}
