using System.Net;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;

namespace K8sFlow.LocalCluster.Tests;

/// <summary>Start-up, authentication, kubeconfig and persistence.</summary>
public sealed class ServerTests
{
    [Fact]
    public async Task RequestWithoutToken_Is401Status_VersionIsPublic()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var anonymous = cluster.Server.CreateHttpClient();
        anonymous.DefaultRequestHeaders.Authorization = null;

        var denied = await anonymous.GetAsync("/api/v1/namespaces");
        var version = await anonymous.GetAsync("/version");

        denied.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var status = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!;
        (status["kind"]!.GetValue<string>(), status["reason"]!.GetValue<string>(), status["code"]!.GetValue<int>()).Should().Be(("Status", "Unauthorized", 401));
        version.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(await version.Content.ReadAsStringAsync())!["minor"]!.GetValue<string>().Should().Be("32");
    }

    [Fact]
    public async Task WrongToken_Is401()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.Server.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");

        (await client.GetAsync("/api")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Kubeconfig_PointsAtTheServerWithTokenContextAndCa()
    {
        await using var cluster = await TestCluster.StartAsync();

        var kubeconfig = await File.ReadAllTextAsync(cluster.KubeconfigPath);

        kubeconfig.Should().Contain($"server: https://127.0.0.1:{cluster.Server.Port}")
            .And.Contain($"token: {cluster.Server.Token}")
            .And.Contain("current-context: k8sflow-local")
            .And.Contain("namespace: default")
            .And.Contain("certificate-authority-data: ");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(cluster.KubeconfigPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task PlainHttp_WithoutTokenRequirement_ServesAnonymousClients()
    {
        await using var cluster = await TestCluster.StartAsync(o => o with { UseTls = false, RequireToken = false });
        using var plain = new HttpClient { BaseAddress = cluster.Server.BaseAddress };

        cluster.Server.BaseAddress.Scheme.Should().Be("http");
        (await plain.GetAsync("/api/v1/namespaces/default")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>A data directory that outlives one cluster (the test deletes it at the end).</summary>
    private static string DataDirectory() =>
        Path.Combine(Path.GetTempPath(), "k8sflow-localcluster-tests", Guid.NewGuid().ToString("N") + "-data");

    [Fact]
    public async Task Persistence_RestoresObjectsAndContinuesTheResourceVersion()
    {
        var data = DataDirectory();
        try
        {
            string lastVersion;
            await using (var first = await TestCluster.StartAsync(o => o with { DataDirectory = data }))
            {
                await first.InstallWidgetCrdAsync();
                await first.PostAsync(Objects.Widgets, Objects.Widget("w1"));
                await first.PostAsync("/api/v1/namespaces/default/configmaps", Objects.ConfigMap("c1"));
                lastVersion = first.Store.ResourceVersion;
            }

            await using var second = await TestCluster.StartAsync(o => o with { DataDirectory = data });
            var (status, widget, _) = await second.GetAsync($"{Objects.Widgets}/w1");
            var (_, created, _) = await second.PostAsync("/api/v1/namespaces/default/configmaps", Objects.ConfigMap("c2"));

            status.Should().Be(HttpStatusCode.OK, "the CRD and its objects came back");
            widget["spec"]!["size"]!.GetValue<int>().Should().Be(3);
            (await second.GetAsync("/api/v1/namespaces/default/configmaps/c1")).Status.Should().Be(HttpStatusCode.OK);
            long.Parse(created["metadata"]!["resourceVersion"]!.GetValue<string>()).Should().Be(long.Parse(lastVersion) + 1);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Persistence_WatchFromBeforeTheRestart_IsExpired()
    {
        var data = DataDirectory();
        try
        {
            await using (var first = await TestCluster.StartAsync(o => o with { DataDirectory = data }))
            {
                await first.PostAsync("/api/v1/namespaces/default/configmaps", Objects.ConfigMap("c1"));
            }

            await using var second = await TestCluster.StartAsync(o => o with { DataDirectory = data });
            using var watch = second.Store.Watch(ResourceRef.ConfigMaps, "default", new WatchOptions { ResourceVersion = "1" }).Unwrap();

            (await watch.ReadAllAsync().FirstAsync().Within()).Type.Should().Be(WatchEventType.Error);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Job_IsDefaulted_SelectorLabelsAndLimits()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (_, job, _) = await cluster.PostAsync("/apis/batch/v1/namespaces/default/jobs", Objects.Job("j1"));

        var uid = job["metadata"]!["uid"]!.GetValue<string>();
        var spec = job["spec"]!;
        spec["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]!.GetValue<string>().Should().Be(uid);
        var labels = spec["template"]!["metadata"]!["labels"]!;
        labels["batch.kubernetes.io/controller-uid"]!.GetValue<string>().Should().Be(uid);
        labels["batch.kubernetes.io/job-name"]!.GetValue<string>().Should().Be("j1");
        labels["controller-uid"]!.GetValue<string>().Should().Be(uid);
        labels["job-name"]!.GetValue<string>().Should().Be("j1");
        (spec["backoffLimit"]!.GetValue<int>(), spec["completions"]!.GetValue<int>(), spec["parallelism"]!.GetValue<int>(), spec["suspend"]!.GetValue<bool>())
            .Should().Be((6, 1, 1, false));
        spec["template"]!["spec"]!["restartPolicy"]!.GetValue<string>().Should().Be("Never");
        spec["template"]!["spec"]!["containers"]![0]!["terminationMessagePath"]!.GetValue<string>().Should().Be("/dev/termination-log");
    }

    [Fact]
    public async Task Job_WithRestartPolicyAlways_Is422()
    {
        await using var cluster = await TestCluster.StartAsync();
        var job = Objects.Job("j1");
        job["spec"]!["template"]!["spec"]!["restartPolicy"] = "Always";

        var (status, body, _) = await cluster.PostAsync("/apis/batch/v1/namespaces/default/jobs", job);

        status.Should().Be((HttpStatusCode)422);
        body["message"]!.GetValue<string>().Should().Be(
            "Job.batch \"j1\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"");
    }

    [Fact]
    public async Task Pod_StartsPending()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (_, pod, _) = await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p1"));

        pod["status"]!["phase"]!.GetValue<string>().Should().Be("Pending");
    }

    [Fact]
    public async Task InvalidLabelValue_Is422()
    {
        await using var cluster = await TestCluster.StartAsync();

        var (status, body, _) = await cluster.PostAsync("/api/v1/namespaces/default/configmaps",
            Objects.ConfigMap("c1", labels: new JsonObject { ["run"] = "manual__2026-01-01T00:00:00+00:00" }));

        status.Should().Be((HttpStatusCode)422);
        body["details"]!["causes"]![0]!["field"]!.GetValue<string>().Should().Be("metadata.labels");
    }
}
