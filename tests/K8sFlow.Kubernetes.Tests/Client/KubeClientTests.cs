using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Client;

public class KubeClientTests
{
    private const string JobJson = """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j1","namespace":"ns","resourceVersion":"7"}}""";

    [Fact]
    public async Task Get_NamespacedJob_RequestsItemPathAndParsesObject()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, JobJson));

        var job = await handler.Client().GetAsync(KubeKinds.Job, "ns", "j1");

        handler.Requests.Single().PathAndQuery.Should().Be("/apis/batch/v1/namespaces/ns/jobs/j1");
        handler.Requests.Single().Message.Headers.Accept.ToString().Should().Be("application/json");
        job.Metadata.ResourceVersion.Should().Be("7");
    }

    [Fact]
    public async Task Get_NoNamespace_UsesDefaultNamespace()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, JobJson));

        await handler.Client(new KubeClientOptions { DefaultNamespace = "team-a" }).GetAsync(KubeKinds.DagRun, null, "r1");

        handler.Requests.Single().Path.Should().Be("/apis/k8sflow.io/v1alpha1/namespaces/team-a/dagruns/r1");
    }

    [Fact]
    public async Task Get_ServerUrlWithPathPrefix_KeepsPrefix()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{"name":"ns"}}"""));
        using var client = new KubeClient(new HttpClient(handler) { BaseAddress = new Uri("https://rancher.test/k8s/clusters/c-1/") });

        await client.GetAsync(KubeKinds.Namespace, null, "ns");

        handler.Requests.Single().Path.Should().Be("/k8s/clusters/c-1/api/v1/namespaces/ns");
    }

    [Fact]
    public async Task TryGet_NotFound_ReturnsNull()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(404, "NotFound", "leases \\\"l\\\" not found"));

        var lease = await handler.Client().TryGetAsync(KubeKinds.Lease, "ns", "l");

        lease.Should().BeNull();
    }

    [Fact]
    public async Task List_SelectorsAndPaging_AreSentAsQuery()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{"resourceVersion":"9","continue":"c2","remainingItemCount":3},"items":[]}"""));

        var page = await handler.Client().ListAsync(KubeKinds.Job, "ns", new ListOptions
        {
            LabelSelector = "k8sflow.io/dag-run=r1,env in (a,b)",
            FieldSelector = "metadata.name=x",
            Limit = 2,
            Continue = "c1",
        });

        var request = handler.Requests.Single();
        request.Path.Should().Be("/apis/batch/v1/namespaces/ns/jobs");
        request.Query("labelSelector").Should().Be("k8sflow.io/dag-run=r1,env in (a,b)");
        request.Query("fieldSelector").Should().Be("metadata.name=x");
        request.Query("limit").Should().Be("2");
        request.Query("continue").Should().Be("c1");
        request.PathAndQuery.Should().Contain("labelSelector=k8sflow.io%2Fdag-run%3Dr1%2Cenv%20in%20%28a%2Cb%29");
        page.Metadata.Continue.Should().Be("c2");
        page.Metadata.RemainingItemCount.Should().Be(3);
    }

    [Fact]
    public async Task List_NoNamespace_UsesAllNamespacesPath()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{},"items":[]}"""));

        await handler.Client().ListAsync(KubeKinds.Pod, null);

        handler.Requests.Single().PathAndQuery.Should().Be("/api/v1/pods");
    }

    [Fact]
    public async Task ListAll_FollowsContinueTokens_WithSameSelectorsAndFirstSnapshot()
    {
        var handler = new FakeHttpHandler(request => request.Query("continue") switch
        {
            "" => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{"resourceVersion":"50","continue":"p2"},"items":[{"metadata":{"name":"a"}}]}"""),
            "p2" => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{"resourceVersion":"50","continue":"p3"},"items":[{"metadata":{"name":"b"}}]}"""),
            _ => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{"resourceVersion":"50"},"items":[{"metadata":{"name":"c"}}]}"""),
        });

        var all = await handler.Client().ListAllAsync(KubeKinds.DagRun, "ns", new ListOptions { LabelSelector = "a=b", Limit = 1 });

        all.Items.Select(r => r.Metadata.Name).Should().Equal("a", "b", "c");
        all.Metadata.ResourceVersion.Should().Be("50");
        all.Metadata.Continue.Should().BeNull();
        handler.Requests.Select(r => r.Query("continue")).Should().Equal("", "p2", "p3");
        handler.Requests.Should().AllSatisfy(r => r.Query("labelSelector").Should().Be("a=b"))
            .And.AllSatisfy(r => r.Query("limit").Should().Be("1"));
    }

    [Fact]
    public async Task Create_PostsToNamespaceCollection_WithFieldManager()
    {
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Json(HttpStatusCode.Created, request.Body!));
        var run = new DagRun { Metadata = new ObjectMeta { Name = "r1", Namespace = "ns" }, Spec = new DagRunSpec { DagName = "etl" } };

        var created = await handler.Client().CreateAsync(KubeKinds.DagRun, run);

        var request = handler.Requests.Single();
        request.Method.Should().Be(HttpMethod.Post);
        request.PathAndQuery.Should().Be("/apis/k8sflow.io/v1alpha1/namespaces/ns/dagruns?fieldManager=k8sflow");
        request.ContentType.Should().Be("application/json");
        JsonNode.Parse(request.Body!)!["spec"]!["dagName"]!.GetValue<string>().Should().Be("etl");
        created.Spec.DagName.Should().Be("etl");
    }

    [Fact]
    public async Task Create_ClusterScopedCrd_PostsWithoutNamespace()
    {
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Json(HttpStatusCode.Created, request.Body!));
        var crd = new CustomResourceDefinition { Metadata = new ObjectMeta { Name = "dagruns.k8sflow.io" } };

        await handler.Client().CreateAsync(KubeKinds.CustomResourceDefinition, crd, new WriteOptions { FieldManager = "setup", FieldValidation = "Strict", DryRun = true });

        handler.Requests.Single().PathAndQuery.Should()
            .Be("/apis/apiextensions.k8s.io/v1/customresourcedefinitions?dryRun=All&fieldManager=setup&fieldValidation=Strict");
    }

    [Fact]
    public async Task Replace_PutsItemWithResourceVersionInBody()
    {
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Json(HttpStatusCode.OK, request.Body!));
        var job = new Job { Metadata = new ObjectMeta { Name = "j1", Namespace = "ns", ResourceVersion = "7" } };

        await handler.Client().ReplaceAsync(KubeKinds.Job, job);

        var request = handler.Requests.Single();
        request.Method.Should().Be(HttpMethod.Put);
        request.Path.Should().Be("/apis/batch/v1/namespaces/ns/jobs/j1");
        JsonNode.Parse(request.Body!)!["metadata"]!["resourceVersion"]!.GetValue<string>().Should().Be("7");
    }

    [Fact]
    public async Task ReplaceStatus_PutsStatusSubresource()
    {
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Json(HttpStatusCode.OK, request.Body!));
        var run = new DagRun { Metadata = new ObjectMeta { Name = "r1", Namespace = "ns" }, Status = new DagRunStatus { Phase = RunPhase.Running } };

        await handler.Client().ReplaceStatusAsync(KubeKinds.DagRun, run);

        handler.Requests.Single().Path.Should().Be("/apis/k8sflow.io/v1alpha1/namespaces/ns/dagruns/r1/status");
        handler.Requests.Single().Body.Should().Contain("\"phase\":\"Running\"");
    }

    [Theory]
    [InlineData(PatchType.Merge, "application/merge-patch+json", "")]
    [InlineData(PatchType.Json, "application/json-patch+json", "")]
    [InlineData(PatchType.StrategicMerge, "application/strategic-merge-patch+json", "")]
    [InlineData(PatchType.Apply, "application/apply-patch+yaml", "true")]
    public async Task Patch_SendsContentTypeOfPatchType_AndForceOnlyForApply(PatchType type, string contentType, string force)
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, JobJson));

        await handler.Client().PatchAsync(KubeKinds.Job, "ns", "j1", new KubePatch(type, "{}"), new PatchOptions { Force = true, FieldManager = "op" });

        var request = handler.Requests.Single();
        request.Method.Should().Be(HttpMethod.Patch);
        request.ContentType.Should().Be(contentType);
        request.Query("fieldManager").Should().Be("op");
        request.Query("force").Should().Be(force);
    }

    [Fact]
    public async Task PatchStatus_MergePatchFromJsonObject_TargetsStatus()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, """{"metadata":{"name":"r1"}}"""));

        await handler.Client().PatchStatusAsync(KubeKinds.DagRun, "ns", "r1", KubePatch.Merge(new JsonObject { ["status"] = new JsonObject { ["phase"] = "Failed" } }));

        handler.Requests.Single().Path.Should().EndWith("/dagruns/r1/status");
        handler.Requests.Single().Body.Should().Be("""{"status":{"phase":"Failed"}}""");
    }

    [Fact]
    public async Task Apply_SendsFullIntentAsApplyPatch()
    {
        var handler = new FakeHttpHandler(request => FakeHttpHandler.Json(HttpStatusCode.OK, request.Body!));
        var dag = new Dag { Metadata = new ObjectMeta { Name = "etl", Namespace = "ns" } };

        await handler.Client().ApplyAsync(KubeKinds.Dag, dag, fieldManager: "k8sflow-cli", force: true);

        var request = handler.Requests.Single();
        request.ContentType.Should().Be("application/apply-patch+yaml");
        request.PathAndQuery.Should().Be("/apis/k8sflow.io/v1alpha1/namespaces/ns/dags/etl?fieldManager=k8sflow-cli&force=true");
        request.Body.Should().StartWith("""{"apiVersion":"k8sflow.io/v1alpha1","kind":"Dag","metadata":{"name":"etl","namespace":"ns"}""");
    }

    [Fact]
    public async Task Delete_SendsDeleteOptionsBody()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK, """{"kind":"Status","apiVersion":"v1","status":"Success","code":200}"""));

        var remaining = await handler.Client().DeleteAsync(KubeKinds.Job, "ns", "j1", DeleteOptions.Background with
        {
            Preconditions = new Preconditions { Uid = "u1", ResourceVersion = "7" },
            GracePeriodSeconds = 0,
        });

        remaining.Should().BeNull();
        var request = handler.Requests.Single();
        request.Method.Should().Be(HttpMethod.Delete);
        request.Body.Should().Be("""{"apiVersion":"v1","kind":"DeleteOptions","propagationPolicy":"Background","preconditions":{"uid":"u1","resourceVersion":"7"},"gracePeriodSeconds":0}""");
    }

    [Fact]
    public async Task Delete_ObjectWithFinalizer_ReturnsObjectWithDeletionTimestamp()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Json(HttpStatusCode.OK,
            """{"kind":"DagRun","metadata":{"name":"r2","deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["k8sflow.io/cleanup"]}}"""));

        var remaining = await handler.Client().DeleteAsync(KubeKinds.DagRun, "ns", "r2");

        remaining!.Metadata.DeletionTimestamp.Should().NotBeNull();
        handler.Requests.Single().Body.Should().BeNull();
    }

    [Fact]
    public async Task PodLog_SendsLogOptions_AndStreamsText()
    {
        var handler = new FakeHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("line1\nline2\n") });

        await using var log = await handler.Client().GetPodLogAsync("ns", "p1", new PodLogOptions { Container = "main", TailLines = 5, Timestamps = true });

        (await new StreamReader(log).ReadToEndAsync()).Should().Be("line1\nline2\n");
        handler.Requests.Single().PathAndQuery.Should().Be("/api/v1/namespaces/ns/pods/p1/log?container=main&tailLines=5&timestamps=true");
    }

    [Fact]
    public async Task RequestObserver_SeesEveryRequestWithVerb()
    {
        var counter = new KubeRequestCounter();
        var handler = new FakeHttpHandler(request => request.Method == HttpMethod.Get
            ? FakeHttpHandler.Json(HttpStatusCode.OK, JobJson)
            : FakeHttpHandler.Json(HttpStatusCode.OK, request.Body ?? JobJson));
        var client = handler.Client(new KubeClientOptions { RequestObserver = counter, Retry = new KubeRetryOptions { MaxRetries = 0 } });

        await client.GetAsync(KubeKinds.Job, "ns", "j1");
        await client.GetAsync(KubeKinds.Job, "ns", "j1");
        await client.PatchAsync(KubeKinds.Job, "ns", "j1", KubePatch.Merge(new JsonObject()));

        counter.Total.Should().Be(3);
        counter.Count(KubeVerb.Get).Should().Be(2);
        counter.Count(KubeVerb.Patch).Should().Be(1);
    }

    [Fact]
    public async Task Cancellation_IsHonoured()
    {
        var handler = new FakeHttpHandler(async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var cancel = new CancellationTokenSource();

        var get = handler.Client().GetAsync(KubeKinds.Job, "ns", "j1", cancel.Token);
        await cancel.CancelAsync();

        await get.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
    }
}
