using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class WatchTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    private static string Type(JsonObject e) => e["type"]!.GetValue<string>();

    private static string Name(JsonObject e) => e["object"]!["metadata"]!["name"]!.GetValue<string>();

    private static string Rv(JsonObject e) => e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>();

    [Fact]
    public async Task Watch_FromZero_StartsWithSyntheticAdded_ThenStreamsChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion=0");
        watch.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        var first = await watch.NextAsync();
        var second = await watch.NextAsync();
        await cluster.PatchAsync($"{ConfigMaps}/a", "application/merge-patch+json", """{"data":{"k":"changed"}}""");
        var third = await watch.NextAsync();

        (Type(first!), Name(first!)).Should().Be(("ADDED", "a"));
        (Type(second!), Name(second!)).Should().Be(("ADDED", "b"));
        (Type(third!), Name(third!)).Should().Be(("MODIFIED", "a"));
        third!["object"]!["data"]!["k"]!.GetValue<string>().Should().Be("changed");
    }

    [Fact]
    public async Task Watch_ThreeClientsOnOneResource_EachGetsEveryChange()
    {
        // Watchers share one copy of each change: none may take it from the others.
        await using var cluster = await TestCluster.StartAsync();
        var watches = new[]
        {
            await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion=0"),
            await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion=0"),
            await cluster.WatchAsync($"/api/v1/configmaps?watch=true&resourceVersion=0"),
        };
        await cluster.WaitForWatchesAsync(3);
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.PatchAsync($"{ConfigMaps}/a", "application/merge-patch+json", """{"data":{"k":"changed"}}""");

        foreach (var watch in watches)
        {
            using (watch)
            {
                var added = await watch.NextAsync();
                var modified = await watch.NextAsync();
                (Type(added!), Name(added!)).Should().Be(("ADDED", "a"));
                (Type(modified!), Name(modified!)).Should().Be(("MODIFIED", "a"));
                modified!["object"]!["data"]!["k"]!.GetValue<string>().Should().Be("changed");
            }
        }
    }

    [Fact]
    public async Task Watch_FromResourceVersion_ReplaysOnlyLaterChanges_AndDeletedCarriesFinalState()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, a, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        var after = a["metadata"]!["resourceVersion"]!.GetValue<string>();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));
        await cluster.DeleteAsync($"{ConfigMaps}/a");

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=1&resourceVersion={after}");
        var added = await watch.NextAsync();
        var deleted = await watch.NextAsync();

        (Type(added!), Name(added!)).Should().Be(("ADDED", "b"));
        (Type(deleted!), Name(deleted!)).Should().Be(("DELETED", "a"));
        deleted!["object"]!["data"]!["k"]!.GetValue<string>().Should().Be("v");
        long.Parse(Rv(deleted)).Should().BeGreaterThan(long.Parse(Rv(added!)));
    }

    [Fact]
    public async Task Watch_FromVersionOutsideHistory_SendsErrorExpired_AndEnds()
    {
        await using var cluster = await TestCluster.StartAsync(o => o with { Store = o.Store with { HistoryWindow = 2 } });
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await cluster.PostAsync(ConfigMaps, Objects.ConfigMap(name));
        }

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion=1");
        var error = await watch.NextAsync();

        watch.Response.StatusCode.Should().Be(HttpStatusCode.OK);
        Type(error!).Should().Be("ERROR");
        error!["object"]!["kind"]!.GetValue<string>().Should().Be("Status");
        error["object"]!["code"]!.GetValue<int>().Should().Be(410);
        error["object"]!["reason"]!.GetValue<string>().Should().Be("Expired");
        error["object"]!["message"]!.GetValue<string>().Should().StartWith("too old resource version: 1");
        (await watch.NextAsync()).Should().BeNull("the server closes the stream after the error");
    }

    [Fact]
    public async Task ContinueToken_OlderThanItsLifetime_Is410()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using var cluster = await TestCluster.StartAsync(o => o with { Store = o.Store with { Time = time } });
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));
        var (_, page, _) = await cluster.GetAsync($"{ConfigMaps}?limit=1");
        time.Advance(TimeSpan.FromMinutes(6));

        var (status, body, _) = await cluster.GetAsync($"{ConfigMaps}?limit=1&continue={page["metadata"]!["continue"]!.GetValue<string>()}");

        status.Should().Be(HttpStatusCode.Gone);
        body["reason"]!.GetValue<string>().Should().Be("Expired");
    }

    [Fact]
    public async Task Watch_WithBookmarks_SendsBookmarkCarryingOnlyTheResourceVersion()
    {
        await using var cluster = await TestCluster.StartAsync(o => o with { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&allowWatchBookmarks=true&resourceVersion={cluster.Store.ResourceVersion}");
        var bookmark = await watch.NextMatchingAsync(e => Type(e) == "BOOKMARK");

        bookmark["object"]!["kind"]!.GetValue<string>().Should().Be("ConfigMap");
        bookmark["object"]!["apiVersion"]!.GetValue<string>().Should().Be("v1");
        bookmark["object"]!["metadata"]!.AsObject().Select(p => p.Key).Should().Equal("resourceVersion");
        Rv(bookmark).Should().Be(cluster.Store.ResourceVersion);
    }

    [Fact]
    public async Task Watch_WithLabelSelector_ObjectLeavingTheSelectionIsDeleted()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&labelSelector=app%3Dx");

        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("other"));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a", labels: new JsonObject { ["app"] = "x" }));
        await cluster.PatchAsync($"{ConfigMaps}/a", "application/merge-patch+json", """{"metadata":{"labels":{"app":"y"}}}""");
        await cluster.PatchAsync($"{ConfigMaps}/a", "application/merge-patch+json", """{"metadata":{"labels":{"app":"x"}}}""");

        var events = new[] { await watch.NextAsync(), await watch.NextAsync(), await watch.NextAsync() };
        events.Select(e => (Type(e!), Name(e!))).Should().Equal(("ADDED", "a"), ("DELETED", "a"), ("ADDED", "a"));
    }

    [Fact]
    public async Task Watch_WithFieldSelectorOnName_SeesOnlyThatObject()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&fieldSelector=metadata.name%3Db&resourceVersion=0");
        var first = await watch.NextAsync();
        await cluster.DeleteAsync($"{ConfigMaps}/a");
        await cluster.DeleteAsync($"{ConfigMaps}/b");
        var second = await watch.NextAsync();

        (Type(first!), Name(first!)).Should().Be(("ADDED", "b"));
        (Type(second!), Name(second!)).Should().Be(("DELETED", "b"));
    }

    [Fact]
    public async Task Watch_TimeoutSeconds_EndsTheStream()
    {
        await using var cluster = await TestCluster.StartAsync();

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&timeoutSeconds=1");

        (await watch.NextAsync()).Should().BeNull();
    }

    [Fact]
    public async Task Watch_AsTable_SendsColumnDefinitionsOnlyInTheFirstEvent()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));

        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion=0", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        var first = await watch.NextAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));
        var second = await watch.NextAsync();

        watch.Response.Content.Headers.NonValidated["Content-Type"].ToString().Should().Be("application/json;as=Table;v=v1;g=meta.k8s.io");
        first!["object"]!["kind"]!.GetValue<string>().Should().Be("Table");
        first["object"]!["columnDefinitions"]!.AsArray().Should().NotBeEmpty();
        first["object"]!["rows"]![0]!["cells"]![0]!.GetValue<string>().Should().Be("a");
        second!["object"]!["columnDefinitions"].Should().BeNull();
        second["object"]!["rows"]![0]!["object"]!["metadata"]!["name"]!.GetValue<string>().Should().Be("b");
    }

    [Fact]
    public async Task InProcessWatch_SeesTheSameEventsAsHttp()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var subscription = cluster.Store.Watch(ResourceRef.ConfigMaps, "default").Unwrap();

        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        await cluster.DeleteAsync($"{ConfigMaps}/a");

        var events = await subscription.ReadAllAsync().Take(2).ToListAsync().Within();
        events.Select(e => e.Type).Should().Equal(WatchEventType.Added, WatchEventType.Deleted);
    }

    [Fact]
    public async Task SlowWatcher_IsClosedWhenItFallsBehindItsBuffer()
    {
        await using var cluster = await TestCluster.StartAsync(o => o with { Store = o.Store with { WatchBufferSize = 2 } });
        using var subscription = cluster.Store.Watch(ResourceRef.ConfigMaps, "default").Unwrap();

        foreach (var name in new[] { "a", "b", "c" })
        {
            cluster.Store.Create(ResourceRef.ConfigMaps, "default", Objects.ConfigMap(name)).Unwrap();
        }

        subscription.Overflowed.Should().BeTrue();
        (await subscription.ReadAllAsync().CountAsync().Within()).Should().Be(2);
    }
}
