using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

/// <summary><see cref="Store.ClusterStore.DropWatches"/>: the fault injection client tests use to cut watch streams.</summary>
public sealed class WatchDropTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task DropWatches_AbortsTheConnectionMidStream_AndNewWatchesResume()
    {
        await using var cluster = await TestCluster.StartAsync();
        var (_, a, _) = await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("a"));
        var afterA = a["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var watch = await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={afterA}");
        await cluster.WaitForWatchesAsync(1);

        cluster.Store.DropWatches();
        var read = async () => await watch.NextAsync();
        await cluster.PostAsync(ConfigMaps, Objects.ConfigMap("b"));
        using var resumed = await cluster.WatchAsync($"{ConfigMaps}?watch=true&resourceVersion={afterA}");

        await read.Should().ThrowAsync<IOException>("a dropped watch must look like a lost connection, not like a stream the server ended");
        cluster.Store.WatchCount.Should().Be(1, "only the resumed watch is open");
        var added = await resumed.NextAsync();
        added!["type"]!.GetValue<string>().Should().Be("ADDED");
        added["object"]!["metadata"]!["name"]!.GetValue<string>().Should().Be("b");
    }
}
