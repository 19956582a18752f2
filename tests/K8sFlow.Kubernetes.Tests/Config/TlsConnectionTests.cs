using System.Net.Http.Headers;
using System.Security.Authentication;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Config;

public sealed class TlsConnectionTests : IAsyncDisposable
{
    private static readonly TestCertificate Authority = TestCertificate.CreateAuthority("cluster-ca");
    private static readonly TestCertificate ServerCertificate = Authority.Issue("apiserver", dnsName: "kube.test");
    private readonly TlsTestServer _server = new(ServerCertificate, """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}""");

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task TrustedCaAndTlsServerName_Connects_PresentingTokenAndClientCertificate()
    {
        var client = Authority.Issue("system:k8sflow");
        var connection = Connection() with
        {
            CertificateAuthorities = [Authority.Certificate],
            TlsServerName = "kube.test",
            Credentials = new StaticCredentials(new KubeCredential(new AuthenticationHeaderValue("Bearer", "sa-token"), client.Certificate)),
        };

        using var kube = KubeClient.Create(connection, NoRetries);
        var found = await kube.GetAsync(KubeKinds.Namespace, null, "team-a", TestWait.Token());

        found.Metadata.Name.Should().Be("team-a");
        _server.Seen.Should().ContainSingle().Which.Should().Be(("CN=system:k8sflow", "Bearer sa-token"));
    }

    [Fact]
    public async Task CaNotTrusted_IsRefused()
    {
        using var kube = KubeClient.Create(Connection() with { TlsServerName = "kube.test" }, NoRetries);

        var act = async () => await kube.GetAsync(KubeKinds.Namespace, null, "team-a", TestWait.Token());

        await act.Should().ThrowAsync<HttpRequestException>().Where(e => e.InnerException is AuthenticationException);
    }

    [Fact]
    public async Task HostNotInCertificate_IsRefused()
    {
        using var kube = KubeClient.Create(Connection() with { CertificateAuthorities = [Authority.Certificate] }, NoRetries);

        var act = async () => await kube.GetAsync(KubeKinds.Namespace, null, "team-a", TestWait.Token());

        await act.Should().ThrowAsync<HttpRequestException>().Where(e => e.InnerException is AuthenticationException);
    }

    [Fact]
    public async Task InsecureSkipTlsVerify_ConnectsToAnyCertificate()
    {
        using var kube = KubeClient.Create(Connection() with { InsecureSkipTlsVerify = true }, NoRetries);

        var found = await kube.GetAsync(KubeKinds.Namespace, null, "team-a", TestWait.Token());

        found.Metadata.Name.Should().Be("team-a");
    }

    private static KubeClientOptions NoRetries => new() { Retry = new KubeRetryOptions { MaxRetries = 0 } };

    private ClusterConnection Connection() => new() { Server = _server.Url };
}
