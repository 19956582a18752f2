using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Models;

public class ModelJsonTests
{
    [Fact]
    public void Deserialize_UnknownFieldsFromServer_AreSkipped()
    {
        const string json = """
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"ns","managedFields":[{"manager":"x"}]},
             "spec":{"template":{"spec":{"containers":[{"name":"main","image":"alpine","ports":[{"containerPort":80}]}],"dnsPolicy":"ClusterFirst"}},"completionMode":"NonIndexed"},
             "status":{"succeeded":1,"uncountedTerminatedPods":{},"conditions":[{"type":"Complete","status":"True","lastProbeTime":null}]}}
            """;

        var job = JsonSerializer.Deserialize<Job>(json, KubeJson.Options)!;

        job.Metadata.Name.Should().Be("j");
        job.Spec.Template.Spec.Containers.Single().Image.Should().Be("alpine");
        job.Status!.Conditions!.Single().Type.Should().Be("Complete");
    }

    [Fact]
    public void Serialize_NewJob_HasApiVersionKindAndNoNulls()
    {
        var job = new Job { Metadata = new ObjectMeta { Name = "j" } };

        var json = JsonSerializer.Serialize(job, KubeJson.Options);

        json.Should().StartWith("""{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"}""");
        json.Should().NotContain("null");
    }

    [Fact]
    public void Serialize_LeaseTimes_AreMicroTimeInUtc()
    {
        var lease = new Lease
        {
            Spec = new LeaseSpec
            {
                RenewTime = new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.FromHours(9)),
                AcquireTime = new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero).AddTicks(1234567),
            },
        };

        var json = JsonSerializer.Serialize(lease, KubeJson.Options);

        json.Should().Contain("\"renewTime\":\"2026-01-01T00:00:00.000000Z\"");
        json.Should().Contain("\"acquireTime\":\"2026-01-01T00:00:01.123456Z\"");
        JsonSerializer.Deserialize<Lease>(json, KubeJson.Options)!.Spec.RenewTime
            .Should().Be(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Serialize_DagRunThroughClientOptions_KeepsCoreEnumNames()
    {
        var run = new DagRun { Status = new DagRunStatus { Tasks = [new TaskInstanceStatus { Name = "t", State = TaskState.UpstreamFailed }] } };

        var json = JsonSerializer.Serialize(run, KubeJson.Options);

        json.Should().Contain("\"state\":\"upstream_failed\"");
    }

    [Fact]
    public void Serialize_CrdSchema_UsesOpenApiV3SchemaName()
    {
        var crd = new CustomResourceDefinition
        {
            Spec = new CustomResourceDefinitionSpec
            {
                Versions = [new CustomResourceDefinitionVersion { Name = "v1", Schema = new CustomResourceValidation { OpenApiV3Schema = new() { ["type"] = "object" } } }],
            },
        };

        JsonSerializer.Serialize(crd, KubeJson.Options).Should().Contain("\"openAPIV3Schema\":{\"type\":\"object\"}");
    }

    [Theory]
    [InlineData("""{"type":"ADDED","object":{"kind":"Job","metadata":{"name":"a"}}}""", WatchEventType.Added, "a")]
    [InlineData("""{"object":{"metadata":{"name":"b"}},"type":"DELETED"}""", WatchEventType.Deleted, "b")]
    [InlineData("""{"type":"BOOKMARK","object":{"kind":"Job","metadata":{"resourceVersion":"12"}}}""", WatchEventType.Bookmark, null)]
    public void Deserialize_WatchEvent_ReadsTypeAndObject(string line, WatchEventType type, string? name)
    {
        var watchEvent = JsonSerializer.Deserialize<WatchEvent<Job>>(line, KubeJson.Options)!;

        watchEvent.Type.Should().Be(type);
        watchEvent.Object!.Metadata.Name.Should().Be(name);
    }

    [Fact]
    public void Deserialize_WatchErrorEvent_ExposesStatusAsExpired()
    {
        const string line = """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 5 (9)","reason":"Expired","code":410}}""";

        var watchEvent = JsonSerializer.Deserialize<WatchEvent<Job>>(line, KubeJson.Options)!;

        watchEvent.IsExpired.Should().BeTrue();
        watchEvent.Error!.Reason.Should().Be("Expired");
        watchEvent.Object.Should().BeNull();
    }

    [Fact]
    public void Serialize_WatchEvent_WritesWireShape()
    {
        var watchEvent = new WatchEvent<Job>(WatchEventType.Modified, new Job { Metadata = new ObjectMeta { Name = "a" } });

        JsonSerializer.Serialize(watchEvent, KubeJson.Options)
            .Should().StartWith("""{"type":"MODIFIED","object":{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"a"}""");
    }

    [Fact]
    public void DeepClone_CopiesNestedCollections()
    {
        var job = new Job { Metadata = new ObjectMeta { Labels = new() { ["a"] = "1" } } };

        var copy = KubeJson.DeepClone(job);
        copy.Metadata.Labels!["a"] = "2";

        job.Metadata.Labels!["a"].Should().Be("1");
    }

    [Theory]
    [InlineData("job", "ns", null, "/apis/batch/v1/namespaces/ns/jobs/x")]
    [InlineData("job", "ns", "status", "/apis/batch/v1/namespaces/ns/jobs/x/status")]
    [InlineData("pod", "ns", "log", "/api/v1/namespaces/ns/pods/x/log")]
    [InlineData("namespace", "ignored", null, "/api/v1/namespaces/x")]
    [InlineData("crd", null, null, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x")]
    [InlineData("dagrun", "ns", "status", "/apis/k8sflow.io/v1alpha1/namespaces/ns/dagruns/x/status")]
    public void ObjectPath_NamespacedClusterScopedAndSubresource(string kind, string? ns, string? subresource, string expected)
    {
        KindByName(kind).ObjectPath(ns, "x", subresource).Should().Be(expected);
    }

    [Theory]
    [InlineData("job", "ns", "/apis/batch/v1/namespaces/ns/jobs")]
    [InlineData("job", null, "/apis/batch/v1/jobs")]
    [InlineData("lease", "kube-system", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")]
    [InlineData("namespace", "ns", "/api/v1/namespaces")]
    public void CollectionPath_NamespacedOrAllNamespaces(string kind, string? ns, string expected)
    {
        KindByName(kind).CollectionPath(ns).Should().Be(expected);
    }

    [Fact]
    public void ObjectPath_NamespacedKindWithoutNamespace_NamesTheKind()
    {
        var act = () => KubeKinds.Job.ObjectPath(null, "x");

        act.Should().Throw<ArgumentException>().WithMessage("Job is namespaced*'x'*");
    }

    [Fact]
    public void Of_FindsRegisteredKindByType()
    {
        KubeKinds.Of<DagRun>().Should().BeSameAs(KubeKinds.DagRun);
        KubeKinds.Find("batch/v1", "Job").Should().BeSameAs(KubeKinds.Job);
    }

    private static ResourceKind KindByName(string name) => name switch
    {
        "job" => KubeKinds.Job,
        "pod" => KubeKinds.Pod,
        "namespace" => KubeKinds.Namespace,
        "crd" => KubeKinds.CustomResourceDefinition,
        "dagrun" => KubeKinds.DagRun,
        "lease" => KubeKinds.Lease,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
