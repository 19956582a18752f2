using System.Security.Authentication;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>The kubeconfig the local cluster writes is all a client needs: its server, its CA and its token.</summary>
public sealed class ConnectionIntegrationTests
{
    private static readonly KubeClientOptions NoRetries = new() { Retry = new KubeRetryOptions { MaxRetries = 0 } };

    [Fact]
    public async Task KubeconfigContext_TrustsTheClusterCa_AndAuthenticatesWithItsToken()
    {
        await using var cluster = await LiveCluster.StartAsync();

        var connection = cluster.Connection();
        var found = await cluster.Client.GetAsync(KubeKinds.Namespace, null, "default", Live.Token());

        connection.Server.Should().Be(cluster.Server.BaseAddress);
        connection.Server.Scheme.Should().Be("https");
        connection.Namespace.Should().Be("default");
        connection.CertificateAuthorities.Should().ContainSingle();
        cluster.Client.DefaultNamespace.Should().Be("default");
        found.Metadata.Name.Should().Be("default");
    }

    [Fact]
    public async Task WrongToken_IsRefusedWith401()
    {
        await using var cluster = await LiveCluster.StartAsync();
        using var client = KubeClient.Create(cluster.Connection() with { Credentials = StaticCredentials.BearerToken("not-the-token") }, NoRetries);

        var act = async () => await client.GetAsync(KubeKinds.Namespace, null, "default", Live.Token());

        (await act.Should().ThrowAsync<KubeApiException>()).Which.Code.Should().Be(401);
    }

    [Fact]
    public async Task WithoutTheKubeconfigCa_TheServerCertificateIsNotTrusted()
    {
        await using var cluster = await LiveCluster.StartAsync();
        using var client = KubeClient.Create(cluster.Connection() with { CertificateAuthorities = null }, NoRetries);

        var act = async () => await client.GetAsync(KubeKinds.Namespace, null, "default", Live.Token());

        (await act.Should().ThrowAsync<HttpRequestException>()).WithInnerException<AuthenticationException>();
    }
}
