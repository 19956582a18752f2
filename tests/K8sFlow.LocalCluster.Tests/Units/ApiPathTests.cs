using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Http;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Tables;

namespace K8sFlow.LocalCluster.Tests.Units;

public sealed class ApiPathTests
{
    [Theory]
    [InlineData("/api", "CoreRoot", "", "", null, null, null, null)]
    [InlineData("/apis", "GroupList", "", "", null, null, null, null)]
    [InlineData("/apis/batch", "Group", "batch", "", null, null, null, null)]
    [InlineData("/api/v1", "ResourceList", "", "v1", null, null, null, null)]
    [InlineData("/api/v1/namespaces", "Resource", "", "v1", null, "namespaces", null, null)]
    [InlineData("/api/v1/namespaces/default", "Resource", "", "v1", null, "namespaces", "default", null)]
    [InlineData("/api/v1/namespaces/team/status", "Resource", "", "v1", null, "namespaces", "team", "status")]
    [InlineData("/api/v1/namespaces/default/pods", "Resource", "", "v1", "default", "pods", null, null)]
    [InlineData("/api/v1/namespaces/default/pods/p1/log", "Resource", "", "v1", "default", "pods", "p1", "log")]
    [InlineData("/apis/batch/v1/jobs", "Resource", "batch", "v1", null, "jobs", null, null)]
    [InlineData("/apis/k8sflow.io/v1alpha1/namespaces/ml/dagruns/r1/status", "Resource", "k8sflow.io", "v1alpha1", "ml", "dagruns", "r1", "status")]
    public void Parse_SplitsKubernetesPaths(string path, string kind, string group, string version, string? ns, string? resource, string? name, string? sub) =>
        ApiPath.TryParse(path).Should().Be(new ApiPath(Enum.Parse<ApiPathKind>(kind), group, version, ns, resource, name, sub));

    [Theory]
    [InlineData("/")]
    [InlineData("/metrics")]
    [InlineData("/api/v1/namespaces/default/pods/p1/log/extra")]
    public void Parse_OtherPaths_AreNotApiPaths(string path) => ApiPath.TryParse(path).Should().BeNull();

    [Theory]
    [InlineData("2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z")]
    [InlineData("2026-01-01T10:00:00.5Z", "2026-01-01T10:00:00.5Z")]
    [InlineData("2026-01-01T10:00:00.1234567Z", "2026-01-01T10:00:00.1234567Z")]
    public void Rfc3339Nano_TrimsTrailingZeros(string time, string expected) =>
        KubeJson.Rfc3339Nano(DateTimeOffset.Parse(time)).Should().Be(expected);

    [Theory]
    [InlineData(".status.phase", """{"status":{"phase":"Running"}}""", "\"Running\"")]
    [InlineData(".spec.parts[0].name", """{"spec":{"parts":[{"name":"bolt"}]}}""", "\"bolt\"")]
    [InlineData(".spec.parts[-1].name", """{"spec":{"parts":[{"name":"a"},{"name":"z"}]}}""", "\"z\"")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", """{"status":{"conditions":[{"type":"X","status":"False"},{"type":"Ready","status":"True"}]}}""", "\"True\"")]
    [InlineData(".metadata.labels['app.kubernetes.io/name']", """{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}""", "\"web\"")]
    [InlineData(".spec.missing", """{"spec":{}}""", null)]
    public void SimpleJsonPath_FindsPrinterColumnValues(string path, string json, string? expected) =>
        SimpleJsonPath.TryParse(path)!.Evaluate(JsonNode.Parse(json)).Select(v => v?.ToJsonString()).FirstOrDefault().Should().Be(expected);
}
