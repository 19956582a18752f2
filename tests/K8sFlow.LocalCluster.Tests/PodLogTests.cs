using System.Net;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class PodLogTests
{
    private const string Log = "/api/v1/namespaces/default/pods/p1/log";

    private static async Task<TestCluster> WithPod(TimeProvider? time = null, params string[] containers)
    {
        var cluster = await TestCluster.StartAsync(o => time is null ? o : o with { Store = o.Store with { Time = time } });
        cluster.Store.Create(ResourceRef.Pods, "default", Objects.Pod("p1", containers)).Unwrap();
        return cluster;
    }

    private static async Task<string> Text(TestCluster cluster, string query = "")
    {
        var response = await cluster.Http.GetAsync(Log + query);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Logs_TailAndTimestamps()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T10:00:00.5Z"));
        await using var cluster = await WithPod(time);
        foreach (var line in new[] { "one", "two", "three" })
        {
            cluster.Server.Logs.Append("default", "p1", "main", line);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        (await Text(cluster)).Should().Be("one\ntwo\nthree\n");
        (await Text(cluster, "?tailLines=2")).Should().Be("two\nthree\n");
        (await Text(cluster, "?tailLines=1&timestamps=true")).Should().Be("2026-01-01T10:00:02.5Z three\n");
        (await Text(cluster, "?sinceSeconds=2")).Should().Be("two\nthree\n");
        (await Text(cluster, "?sinceTime=2026-01-01T10:00:02Z")).Should().Be("three\n");
        (await Text(cluster, "?limitBytes=6")).Should().Be("one\ntw");
    }

    [Fact]
    public async Task Logs_Follow_StreamsUntilTheContainerTerminates()
    {
        await using var cluster = await WithPod();
        cluster.Server.Logs.Append("default", "p1", "main", "first");

        using var response = await cluster.Http.GetAsync(Log + "?follow=true", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var patience = new CancellationTokenSource(WatchReader.Patience);
        (await reader.ReadLineAsync(patience.Token)).Should().Be("first");
        cluster.Server.Logs.Append("default", "p1", "main", "second");
        (await reader.ReadLineAsync(patience.Token)).Should().Be("second");
        cluster.Server.Logs.MarkTerminated("default", "p1", "main");

        (await reader.ReadLineAsync(patience.Token)).Should().BeNull("the stream ends with the container");
    }

    [Fact]
    public async Task Logs_MultiContainerPodWithoutContainer_Is400()
    {
        await using var cluster = await WithPod(null, "main", "side");
        cluster.Server.Logs.Append("default", "p1", "main", "x");

        var (status, body, _) = await cluster.GetAsync(Log);
        var (ok, _, _) = await cluster.GetAsync(Log + "?container=side");

        status.Should().Be(HttpStatusCode.BadRequest);
        body["message"]!.GetValue<string>().Should().Be("a container name must be specified for pod p1, choose one of: [main side]");
        ok.Should().Be(HttpStatusCode.BadRequest, "side has not started: it is waiting to start");
    }

    [Fact]
    public async Task Logs_Previous_ReadsTheEarlierRun()
    {
        await using var cluster = await WithPod();
        cluster.Server.Logs.Append("default", "p1", "main", "attempt 1");
        cluster.Server.Logs.StartContainer("default", "p1", "main");
        cluster.Server.Logs.Append("default", "p1", "main", "attempt 2");

        (await Text(cluster, "?previous=true")).Should().Be("attempt 1\n");
        (await Text(cluster)).Should().Be("attempt 2\n");
    }

    [Fact]
    public async Task Logs_OfDeletedPod_AreForgotten()
    {
        await using var cluster = await WithPod();
        cluster.Server.Logs.Append("default", "p1", "main", "x");
        await using var follower = cluster.Server.Logs.StreamAsync("default", "p1", "main", new PodLogOptions { Follow = true }).GetAsyncEnumerator();
        (await follower.MoveNextAsync().Within()).Should().BeTrue();

        cluster.Store.Delete(ResourceRef.Pods, "default", "p1").Unwrap();

        (await follower.MoveNextAsync().Within()).Should().BeFalse("deleting the pod ends its log stream");
        cluster.Server.Logs.HasLog("default", "p1", "main").Should().BeFalse();
    }

    [Fact]
    public async Task Logs_OfMissingPod_Is404()
    {
        await using var cluster = await TestCluster.StartAsync();

        (await cluster.GetAsync("/api/v1/namespaces/default/pods/ghost/log")).Status.Should().Be(HttpStatusCode.NotFound);
    }
}
