using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;
using K8sFlow.Tests.Shared;

namespace K8sFlow.LocalCluster.Tests;

/// <summary>The real kubectl 1.32 against the local cluster: what users will type.</summary>
public sealed class KubectlTests
{
    private static async Task<KubectlResult> Ok(TestCluster cluster, string? stdin, params string[] args)
    {
        var result = await Kubectl.RunWithInputAsync(cluster, stdin, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(" ", args)} failed: {result}\nrequests:\n{cluster.RequestLog()}");
        return result;
    }

    private const string WidgetYaml = """
        apiVersion: tests.k8sflow.io/v1
        kind: Widget
        metadata:
          name: w1
        spec:
          size: 4
          color: green
          parts:
          - name: bolt
            count: 2
        """;

    [Fact]
    public async Task Version_ReportsServer132()
    {
        await using var cluster = await TestCluster.StartAsync();

        var result = await Ok(cluster, null, "version", "-o", "json");

        var version = JsonNode.Parse(result.Stdout)!;
        version["serverVersion"]!["major"]!.GetValue<string>().Should().Be("1");
        version["serverVersion"]!["minor"]!.GetValue<string>().Should().Be("32");
    }

    [Fact]
    public async Task ApplyCrd_ThenCustomResource_GetShowsPrinterColumnsByShortName()
    {
        await using var cluster = await TestCluster.StartAsync();

        (await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-")).Stdout.Should().Contain("customresourcedefinition.apiextensions.k8s.io/widgets.tests.k8sflow.io created");
        (await Ok(cluster, WidgetYaml, "apply", "-f", "-")).Stdout.Should().Contain("widget.tests.k8sflow.io/w1 created");

        var table = await Ok(cluster, null, "get", "wd");

        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().MatchRegex(@"^NAME\s+SIZE\s+COLOR\s+FIRST-PART\s+PHASE\s+AGE$");
        lines[1].Should().MatchRegex(@"^w1\s+4\s+green\s+bolt\s+\S+s$");
    }

    [Fact]
    public async Task ApplyUnchanged_SaysUnchanged_ApplyChanged_PatchesWithMergePatch()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");

        (await Ok(cluster, WidgetYaml, "apply", "-f", "-")).Stdout.Should().Contain("widget.tests.k8sflow.io/w1 unchanged");
        (await Ok(cluster, WidgetYaml.Replace("size: 4", "size: 6"), "apply", "-f", "-")).Stdout.Should().Contain("widget.tests.k8sflow.io/w1 configured");

        var stored = cluster.Store.Get(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w1").Unwrap();
        stored["spec"]!["size"]!.GetValue<int>().Should().Be(6);
        stored["metadata"]!["generation"]!.GetValue<long>().Should().Be(2);
    }

    [Fact]
    public async Task GetYaml_ShowsTheStoredObject()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");

        var yaml = await Ok(cluster, null, "get", "widget", "w1", "-o", "yaml");

        yaml.Stdout.Should().Contain("kind: Widget").And.Contain("size: 4").And.Contain("uid:").And.Contain("resourceVersion:");
    }

    [Fact]
    public async Task ServerSideApply_CreatesThenUpdates_AndConflictsNeedForce()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "--server-side", "-f", "-");

        (await Ok(cluster, WidgetYaml, "apply", "--server-side", "-f", "-")).Stdout.Should().Contain("widget.tests.k8sflow.io/w1 serverside-applied");
        var conflict = await Kubectl.RunWithInputAsync(cluster, WidgetYaml.Replace("size: 4", "size: 5"), "apply", "--server-side", "--field-manager", "other", "-f", "-");
        conflict.ExitCode.Should().NotBe(0);
        conflict.Stderr.Should().Contain("conflict").And.Contain(".spec.size");
        await Ok(cluster, WidgetYaml.Replace("size: 4", "size: 5"), "apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", "-");

        var stored = cluster.Store.Get(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w1").Unwrap();
        stored["spec"]!["size"]!.GetValue<int>().Should().Be(5);
        stored["metadata"]!["managedFields"]!.AsArray().Select(m => m!["manager"]!.GetValue<string>()).Should().Contain(["kubectl", "other"]);
    }

    [Fact]
    public async Task InvalidCustomResource_IsRefusedNamingTheField()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");

        var result = await Kubectl.RunWithInputAsync(cluster, WidgetYaml.Replace("size: 4", "size: 40"), "apply", "-f", "-");

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("The Widget \"w1\" is invalid: spec.size: Invalid value: 40: spec.size in body should be less than or equal to 10");
    }

    [Fact]
    public async Task UnknownField_IsRefusedByStrictValidation()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");

        var result = await Kubectl.RunWithInputAsync(cluster, WidgetYaml.Replace("color: green", "color: green\n  colour: green"), "apply", "-f", "-");

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("strict decoding error: unknown field \"spec.colour\"");
    }

    [Fact]
    public async Task Delete_RemovesTheObject()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");

        (await Ok(cluster, null, "delete", "widget", "w1")).Stdout.Should().Contain("widget.tests.k8sflow.io \"w1\" deleted");

        cluster.Store.Get(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w1").Error!.Code.Should().Be(404);
    }

    [Fact]
    public async Task Delete_WaitsForFinalizers()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml.Replace("name: w1", "name: w1\n  finalizers: [tests.k8sflow.io/hold]"), "apply", "-f", "-");
        var widgets = new ResourceRef("tests.k8sflow.io", "widgets");
        using var watch = cluster.Store.Watch(widgets, "default", new WatchOptions { ResourceVersion = cluster.Store.ResourceVersion }).Unwrap();

        var deleting = Kubectl.RunAsync(cluster, "delete", "widget", "w1");
        var marked = await watch.ReadAllAsync().FirstAsync(e => e.Object["metadata"]!["deletionTimestamp"] is not null).Within();
        marked.Type.Should().Be(WatchEventType.Modified);
        cluster.Store.Patch(widgets, "default", "w1", PatchType.Merge, """{"metadata":{"finalizers":null}}""").IsSuccess.Should().BeTrue();

        var result = await deleting.Within();
        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("\"w1\" deleted");
    }

    [Fact]
    public async Task BuiltInJob_ApplyAndGet_ShowsJobColumns_AndReapplyUsesStrategicMerge()
    {
        await using var cluster = await TestCluster.StartAsync();
        const string job = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: j1
              labels: {app: demo}
            spec:
              template:
                spec:
                  containers:
                  - name: main
                    image: busybox:1.36
                    command: ["true"]
            """;
        await Ok(cluster, job, "apply", "-f", "-");

        var table = await Ok(cluster, null, "get", "jobs");
        table.Stdout.Should().MatchRegex(@"NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE");
        table.Stdout.Should().MatchRegex(@"j1\s+Running\s+0/1");

        (await Ok(cluster, job.Replace("app: demo", "app: demo2"), "apply", "-f", "-")).Stdout.Should().Contain("job.batch/j1 configured");
        cluster.Requests.Should().Contain(r => r.Method == "PATCH" && r.ContentType!.StartsWith("application/strategic-merge-patch+json"));
        var all = await Ok(cluster, null, "get", "all");
        all.Stdout.Should().Contain("job.batch/j1");
    }

    [Fact]
    public async Task PatchTypeJson_AndGetWithLabelSelector()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"a":"1"}}""", "create", "-f", "-");
        await Ok(cluster, null, "label", "configmap", "c1", "tier=gold");

        await Ok(cluster, null, "patch", "configmap", "c1", "--type=json", "-p", """[{"op":"replace","path":"/data/a","value":"2"}]""");

        var listed = await Ok(cluster, null, "get", "cm", "-l", "tier in (gold,silver)", "-o", "jsonpath={.items[*].data.a}");
        listed.Stdout.Should().Be("2");
    }

    [Fact]
    public async Task ApiResources_ListsBuiltInsAndCrds()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");

        var resources = await Ok(cluster, null, "api-resources");

        resources.Stdout.Should().MatchRegex(@"widgets\s+wd\s+tests.k8sflow.io/v1\s+true\s+Widget");
        resources.Stdout.Should().MatchRegex(@"jobs\s+batch/v1\s+true\s+Job");
        resources.Stdout.Should().MatchRegex(@"pods\s+po\s+v1\s+true\s+Pod");
    }

    [Fact]
    public async Task ChunkedList_ReadsEveryPage()
    {
        await using var cluster = await TestCluster.StartAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            cluster.Store.Create(ResourceRef.ConfigMaps, "default", Objects.ConfigMap(name)).Unwrap();
        }

        var result = await Ok(cluster, null, "get", "cm", "--chunk-size=1", "-o", "name");

        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal("configmap/a", "configmap/b", "configmap/c");
    }

    [Fact]
    public async Task Logs_OfAPod()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Store.Create(ResourceRef.Pods, "default", Objects.Pod("p1")).Unwrap();
        cluster.Server.Logs.Append("default", "p1", "main", "hello");
        cluster.Server.Logs.Append("default", "p1", "main", "world");
        cluster.Server.Logs.MarkTerminated("default", "p1", "main");

        (await Ok(cluster, null, "logs", "p1", "--tail=1")).Stdout.Should().Be("world\n");
        (await Ok(cluster, null, "logs", "p1", "-f")).Stdout.Should().Be("hello\nworld\n");
    }

    [Fact]
    public async Task Describe_ReadsEventsOfTheObject()
    {
        await using var cluster = await TestCluster.StartAsync();
        var pod = cluster.Store.Create(ResourceRef.Pods, "default", Objects.Pod("p1")).Unwrap();
        cluster.Store.Create(ResourceRef.Events, "default", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "p1.17a" },
            ["involvedObject"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["name"] = "p1", ["namespace"] = "default", ["uid"] = pod["metadata"]!["uid"]!.GetValue<string>() },
            ["reason"] = "Started",
            ["message"] = "Started container main",
            ["type"] = "Normal",
            ["source"] = new JsonObject { ["component"] = "kubelet" },
            ["count"] = 1,
        }).Unwrap();

        var describe = await Ok(cluster, null, "describe", "pod", "p1");

        describe.Stdout.Should().Contain("Started container main");
    }

    [Fact]
    public async Task DeletePod_AndGeneratorCommandsExplainTheirLimit()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Store.Create(ResourceRef.Pods, "default", Objects.Pod("p1")).Unwrap();

        (await Ok(cluster, null, "delete", "pod", "p1")).Stdout.Should().Contain("pod \"p1\" deleted");

        var generator = await Kubectl.RunAsync(cluster, "create", "configmap", "c1", "--from-literal=a=1");
        generator.ExitCode.Should().NotBe(0);
        generator.Stderr.Should().Contain("use `kubectl apply -f` or `kubectl create -f` instead");
    }

    [Fact]
    public async Task GetWatch_PrintsARowPerChange_WithPrinterColumns()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");
        var widgets = new ResourceRef("tests.k8sflow.io", "widgets");

        using var watch = Kubectl.Start(cluster, "get", "widgets", "-w");
        (await watch.NextLineAsync()).Should().MatchRegex(@"^NAME\s+SIZE\s+COLOR");
        (await watch.NextLineAsync()).Should().StartWith("w1 ");
        cluster.Store.Patch(widgets, "default", "w1", PatchType.Merge, """{"status":{"phase":"Running"}}""", new PatchOptions { Subresource = "status" }).Unwrap();

        (await watch.NextLineMatchingAsync(l => l.StartsWith("w1 "))).Should().MatchRegex(@"^w1\s+4\s+green\s+bolt\s+Running\s+");
    }

    [Fact]
    public async Task GetOneWatch_PrintsOnlyThatObjectsChanges()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml.Replace("name: w1", "name: w2"), "apply", "-f", "-");

        var watchesBefore = cluster.Store.WatchCount;
        using var watch = Kubectl.Start(cluster, "get", "widget", "w2", "-w", "-o", "name");

        (await watch.NextLineAsync()).Should().Be("widget.tests.k8sflow.io/w2");
        await cluster.WaitForWatchesAsync(watchesBefore + 1);
        cluster.Store.Delete(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w1").Unwrap();
        cluster.Store.Patch(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w2", PatchType.Merge, """{"metadata":{"labels":{"x":"y"}}}""").Unwrap();
        (await watch.NextLineAsync()).Should().Be("widget.tests.k8sflow.io/w2", "only w2's change shows (its synthetic ADDED is not printed)");
    }

    [Fact]
    public async Task Wait_ForJsonPath_ReturnsOnceTheStatusMatches()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");

        var waiting = Kubectl.RunAsync(cluster, "wait", "widget/w1", "--for=jsonpath={.status.phase}=Done", "--timeout=60s");
        cluster.Store.Patch(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w1", PatchType.Merge, """{"status":{"phase":"Done"}}""",
            new PatchOptions { Subresource = "status" }).Unwrap();

        var result = await waiting.Within();
        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("condition met");
    }

    [Fact]
    public async Task Replace_WithStaleResourceVersion_ReportsTheConflict()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = cluster.Store.Create(ResourceRef.ConfigMaps, "default", Objects.ConfigMap("c1")).Unwrap();
        cluster.Store.Patch(ResourceRef.ConfigMaps, "default", "c1", PatchType.Merge, """{"data":{"k":"newer"}}""").Unwrap();

        var result = await Kubectl.RunWithInputAsync(cluster, created.ToJsonString(), "replace", "-f", "-");

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("the object has been modified; please apply your changes to the latest version and try again");
    }

    [Fact]
    public async Task LogsOfAJob_FindTheJobsPodByItsSelector()
    {
        await using var cluster = await TestCluster.StartAsync();
        var job = cluster.Store.Create(ResourceRef.Jobs, "default", Objects.Job("j1")).Unwrap();
        var pod = Objects.Pod("j1-abcde");
        pod["metadata"]!["labels"] = job["spec"]!["template"]!["metadata"]!["labels"]!.DeepClone();
        pod["metadata"]!["ownerReferences"] = new JsonArray(Objects.OwnerReference(job));
        cluster.Store.Create(ResourceRef.Pods, "default", pod).Unwrap();
        cluster.Server.Logs.Append("default", "j1-abcde", "main", "from the job");

        (await Ok(cluster, null, "logs", "job/j1")).Stdout.Should().Be("from the job\n");
    }

    [Fact]
    public async Task ServerSideApply_OverClientSideApply_MigratesOwnership()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");

        (await Ok(cluster, WidgetYaml.Replace("size: 4", "size: 5"), "apply", "--server-side", "-f", "-")).Stdout.Should().Contain("serverside-applied");

        var stored = cluster.Store.Get(new ResourceRef("tests.k8sflow.io", "widgets"), "default", "w1").Unwrap();
        stored["spec"]!["size"]!.GetValue<int>().Should().Be(5);
        var lastApplied = JsonNode.Parse(stored["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>())!;
        lastApplied["spec"]!["size"]!.GetValue<int>().Should().Be(5, "server-side apply keeps client-side apply's annotation in step");
    }

    [Fact]
    public async Task GetAllNamespacesWide_ShowsNamespaceAndWideColumns()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Store.Create(ResourceRef.Pods, "kube-system", Objects.Pod("p1")).Unwrap();

        var result = await Ok(cluster, null, "get", "pods", "-A", "-o", "wide");

        result.Stdout.Should().MatchRegex(@"NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE");
        result.Stdout.Should().MatchRegex(@"kube-system\s+p1\s+0/1\s+Pending\s+0");
    }

    [Fact]
    public async Task ReapplyingTheCrd_ChangesColumnsAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");
        await Ok(cluster, WidgetYaml, "apply", "-f", "-");
        var withLabelColumn = Objects.WidgetCrdYaml.Replace("""
                - name: Age
                  type: date
            """, """
                - name: Label
                  type: string
                  jsonPath: .spec.label
                - name: Age
                  type: date
            """);
        withLabelColumn.Should().NotBe(Objects.WidgetCrdYaml);

        (await Ok(cluster, withLabelColumn, "apply", "-f", "-")).Stdout.Should().Contain("configured");

        (await Ok(cluster, null, "get", "widgets")).Stdout.Should().MatchRegex(@"^NAME\s+SIZE\s+COLOR\s+FIRST-PART\s+PHASE\s+LABEL\s+AGE");
    }

    [Fact]
    public async Task Explain_ShowsTheCrdSchema()
    {
        await using var cluster = await TestCluster.StartAsync();
        await Ok(cluster, Objects.WidgetCrdYaml, "apply", "-f", "-");

        var explained = await Ok(cluster, null, "explain", "widgets.spec");

        explained.Stdout.Should().Contain("KIND:       Widget").And.MatchRegex(@"size\s+<integer> -required-");
    }
}
