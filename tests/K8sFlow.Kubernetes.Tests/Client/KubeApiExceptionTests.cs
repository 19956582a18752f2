using System.Net;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Client;

public class KubeApiExceptionTests
{
    [Theory]
    [InlineData(404, "NotFound", true, false, false, false)]
    [InlineData(409, "AlreadyExists", false, false, true, false)]
    [InlineData(409, "Conflict", false, true, false, false)]
    [InlineData(410, "Expired", false, false, false, true)]
    [InlineData(410, "Gone", false, false, false, true)]
    public async Task StatusBody_MapsToTypedException(int code, string reason, bool notFound, bool conflict, bool alreadyExists, bool gone)
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(code, reason, "the server said no"));

        var error = (await handler.Client().Invoking(c => c.GetAsync(KubeKinds.Job, "ns", "j1")).Should().ThrowAsync<KubeApiException>()).Which;

        error.Code.Should().Be(code);
        error.Reason.Should().Be(reason);
        error.ServerMessage.Should().Be("the server said no");
        error.Message.Should().Be($"GET /apis/batch/v1/namespaces/ns/jobs/j1: {code} {reason}: the server said no");
        (error.IsNotFound, error.IsConflict, error.IsAlreadyExists, error.IsGone).Should().Be((notFound, conflict, alreadyExists, gone));
    }

    [Fact]
    public async Task InvalidStatus_ExposesCausesAndNamesFieldsInMessage()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(422, "Invalid", "DagRun \\\"r1\\\" is invalid",
            """{"name":"r1","group":"k8sflow.io","kind":"dagruns","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.dagName"}]}"""));
        var run = new K8sFlow.Core.Api.DagRun { Metadata = new() { Name = "r1", Namespace = "ns" } };

        var error = (await handler.Client().Invoking(c => c.CreateAsync(KubeKinds.DagRun, run)).Should().ThrowAsync<KubeApiException>()).Which;

        error.Causes.Should().ContainSingle().Which.Should().Be(new StatusCause { Reason = "FieldValueRequired", Message = "Required value", Field = "spec.dagName" });
        error.Status.Details!.Kind.Should().Be("dagruns");
        error.Message.Should().EndWith("(spec.dagName: Required value)");
    }

    [Fact]
    public async Task NonStatusBody_GetsReasonFromHttpCode()
    {
        var handler = new FakeHttpHandler(_ => new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent("forbidden by proxy") });

        var error = (await handler.Client().Invoking(c => c.ListAsync(KubeKinds.Pod, "ns")).Should().ThrowAsync<KubeApiException>()).Which;

        error.Code.Should().Be(403);
        error.Reason.Should().Be("Forbidden");
        error.ServerMessage.Should().Be("forbidden by proxy");
    }
}
