using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

public sealed class TableTests
{
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    private static IEnumerable<string> Columns(JsonObject table) => table["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>());

    private static JsonArray Cells(JsonObject table, int row = 0) => table["rows"]![row]!["cells"]!.AsArray();

    [Fact]
    public async Task CustomResourceTable_UsesPrinterColumns_WithAgeStrings()
    {
        var time = new ManualTime(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using var cluster = await TestCluster.StartAsync(o => o with { Store = o.Store with { Time = time } });
        await cluster.InstallWidgetCrdAsync();
        var widget = Objects.Widget("w1", size: 4, color: "green");
        widget["spec"]!["parts"] = new JsonArray(new JsonObject { ["name"] = "bolt" });
        await cluster.PostAsync(Objects.Widgets, widget);
        time.Advance(TimeSpan.FromMinutes(5));

        var (_, table, _) = await cluster.GetAsync($"{Objects.Widgets}?limit=500", TableAccept);

        (await cluster.RawContentTypeAsync(Objects.Widgets, TableAccept)).Should().Be("application/json;as=Table;v=v1;g=meta.k8s.io");
        table["kind"]!.GetValue<string>().Should().Be("Table");
        table["apiVersion"]!.GetValue<string>().Should().Be("meta.k8s.io/v1");
        Columns(table).Should().Equal("Name", "Size", "Color", "First-Part", "Phase", "Age");
        table["columnDefinitions"]![0]!["format"]!.GetValue<string>().Should().Be("name");
        Cells(table).Select(c => c?.ToJsonString()).Should().Equal("\"w1\"", "4", "\"green\"", "\"bolt\"", null, "\"5m\"");
        var row = table["rows"]![0]!["object"]!;
        row["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadata");
        row["metadata"]!["name"]!.GetValue<string>().Should().Be("w1");
    }

    [Fact]
    public async Task CrdWithoutPrinterColumns_ShowsNameAndAge()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", contentType: "application/yaml",
            rawBody: Objects.WidgetCrdYaml[..Objects.WidgetCrdYaml.IndexOf("    additionalPrinterColumns:", StringComparison.Ordinal)]
                + Objects.WidgetCrdYaml[Objects.WidgetCrdYaml.IndexOf("    schema:", StringComparison.Ordinal)..]);
        await cluster.PostAsync(Objects.Widgets, Objects.Widget("w1"));

        var (_, table, _) = await cluster.GetAsync(Objects.Widgets, TableAccept);

        Columns(table).Should().Equal("Name", "Age");
        table["columnDefinitions"]![1]!["type"]!.GetValue<string>().Should().Be("date");
    }

    [Fact]
    public async Task PodTable_HasReadyStatusRestarts()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Store.Create(ResourceRef.Pods, "default", Objects.Pod("p1", "main", "side")).Unwrap();
        cluster.Store.Patch(ResourceRef.Pods, "default", "p1", PatchType.Merge, """
            {"status":{"phase":"Running","containerStatuses":[
              {"name":"main","ready":true,"restartCount":1,"state":{"running":{}}},
              {"name":"side","ready":false,"restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
            """, new PatchOptions { Subresource = "status" }).Unwrap();

        var (_, table, _) = await cluster.GetAsync("/api/v1/namespaces/default/pods/p1", TableAccept);

        Columns(table).Take(5).Should().Equal("Name", "Ready", "Status", "Restarts", "Age");
        Cells(table).Take(4).Select(c => c!.GetValue<string>()).Should().Equal("p1", "1/2", "CrashLoopBackOff", "3");
    }

    [Fact]
    public async Task JobTable_HasStatusCompletionsDuration()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Store.Create(ResourceRef.Jobs, "default", Objects.Job("j1")).Unwrap();
        cluster.Store.Patch(ResourceRef.Jobs, "default", "j1", PatchType.Merge, """
            {"status":{"succeeded":1,"startTime":"2026-01-01T00:00:00Z","completionTime":"2026-01-01T00:02:30Z",
              "conditions":[{"type":"Complete","status":"True"}]}}
            """, new PatchOptions { Subresource = "status" }).Unwrap();

        var (_, table, _) = await cluster.GetAsync("/apis/batch/v1/namespaces/default/jobs", TableAccept);

        Columns(table).Take(5).Should().Equal("Name", "Status", "Completions", "Duration", "Age");
        Cells(table).Take(4).Select(c => c!.GetValue<string>()).Should().Equal("j1", "Complete", "1/1", "2m30s");
    }

    [Fact]
    public async Task EventTable_ShowsObjectAndMessage()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Store.Create(ResourceRef.Events, "default", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "run1.1" },
            ["involvedObject"] = new JsonObject { ["kind"] = "DagRun", ["name"] = "run1" },
            ["reason"] = "TaskFailed",
            ["type"] = "Warning",
            ["message"] = "task train failed",
        }).Unwrap();

        var (_, table, _) = await cluster.GetAsync("/api/v1/namespaces/default/events", TableAccept);

        Columns(table).Where((_, i) => table["columnDefinitions"]![i]!["priority"]!.GetValue<int>() == 0)
            .Should().Equal("Last Seen", "Type", "Reason", "Object", "Message");
        Cells(table).Select(c => c?.ToString()).Should().Contain(["Warning", "TaskFailed", "dagrun/run1", "task train failed"]);
    }
}
