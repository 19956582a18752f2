using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Config;

public sealed class InClusterConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Load_ServiceAccountFiles_GiveServerNamespaceCaAndRotatingToken()
    {
        _dir.Write("token", "token-1\n");
        _dir.Write("ca.crt", TestCertificate.CreateAuthority("cluster-ca").CertificatePem);
        _dir.Write("namespace", "k8sflow-system");
        var options = Options("10.96.0.1", "443");

        var connection = InClusterConfig.Load(options);
        var first = await connection.Credentials.GetAsync(default);
        _dir.Write("token", "token-2\n");
        var beforeRefresh = await connection.Credentials.GetAsync(default);
        _time.Advance(TimeSpan.FromMinutes(1));
        var afterRefresh = await connection.Credentials.GetAsync(default);

        InClusterConfig.IsInCluster(options).Should().BeTrue();
        connection.Server.Should().Be(new Uri("https://10.96.0.1:443"));
        connection.Namespace.Should().Be("k8sflow-system");
        connection.CertificateAuthorities.Should().ContainSingle();
        connection.Source.Should().Be("in-cluster");
        first.Authorization!.Parameter.Should().Be("token-1");
        beforeRefresh.Authorization!.Parameter.Should().Be("token-1");
        afterRefresh.Authorization!.Parameter.Should().Be("token-2");
    }

    [Fact]
    public async Task Load_TokenRejected_RereadsAtOnce()
    {
        _dir.Write("token", "token-1");
        var connection = InClusterConfig.Load(Options("10.96.0.1", "443"));
        await connection.Credentials.GetAsync(default);
        _dir.Write("token", "token-2");

        connection.Credentials.Invalidate();

        (await connection.Credentials.GetAsync(default)).Authorization!.Parameter.Should().Be("token-2");
    }

    [Fact]
    public void Load_Ipv6HostAndNoNamespaceFile_BracketsHostAndDefaultsNamespace()
    {
        _dir.Write("token", "t");

        var connection = InClusterConfig.Load(Options("fd00::1", "6443"));

        connection.Server.Should().Be(new Uri("https://[fd00::1]:6443"));
        connection.Namespace.Should().Be("default");
        connection.CertificateAuthorities.Should().BeNull();
    }

    [Fact]
    public void Load_NoServiceEnvironment_IsNotInCluster()
    {
        _dir.Write("token", "t");
        var options = Options(null, null);

        var act = () => InClusterConfig.Load(options);

        InClusterConfig.IsInCluster(options).Should().BeFalse();
        act.Should().Throw<KubeConfigException>().WithMessage("Not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set.");
    }

    [Fact]
    public void Load_NoToken_NamesTokenPath()
    {
        var act = () => InClusterConfig.Load(Options("10.96.0.1", "443"));

        act.Should().Throw<KubeConfigException>().WithMessage($"In-cluster config: the service account token '{_dir.Path}/token' does not exist.");
    }

    private InClusterOptions Options(string? host, string? port) => new()
    {
        ServiceAccountDirectory = _dir.Path,
        GetEnvironmentVariable = name => name switch
        {
            InClusterConfig.HostVariable => host,
            InClusterConfig.PortVariable => port,
            _ => null,
        },
        TimeProvider = _time,
    };
}
