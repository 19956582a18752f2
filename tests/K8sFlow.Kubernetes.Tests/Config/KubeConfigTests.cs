using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Config;

public sealed class KubeConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly TestCertificate Authority = TestCertificate.CreateAuthority("test-ca");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ToConnection_CurrentContext_GivesServerTlsNamespaceAndToken()
    {
        var path = _dir.Write("config", $$"""
            apiVersion: v1
            kind: Config
            preferences: {}
            clusters:
            - name: dev
              cluster:
                server: https://10.0.0.1:6443
                certificate-authority-data: {{Authority.CertificatePemBase64}}
                tls-server-name: kubernetes.default
                extensions: [{name: x, extension: {} }]
            users:
            - name: admin
              user:
                token: secret-token
            contexts:
            - name: dev-admin
              context: {cluster: dev, user: admin, namespace: team-a}
            current-context: dev-admin
            """);

        var connection = KubeConfig.Load(path).ToConnection();

        connection.Server.Should().Be(new Uri("https://10.0.0.1:6443"));
        connection.Namespace.Should().Be("team-a");
        connection.TlsServerName.Should().Be("kubernetes.default");
        connection.InsecureSkipTlsVerify.Should().BeFalse();
        connection.CertificateAuthorities!.Single().Thumbprint.Should().Be(Authority.Certificate.Thumbprint);
        connection.Source.Should().Be("kubeconfig context 'dev-admin'");
        (await connection.Credentials.GetAsync(default)).Authorization!.ToString().Should().Be("Bearer secret-token");
    }

    [Fact]
    public void Load_KubeconfigVariable_MergesFilesFirstWins()
    {
        var first = _dir.Write("a.yaml", """
            clusters:
            - {name: shared, cluster: {server: "https://first:6443"}}
            users:
            - {name: u1, user: {token: one}}
            contexts:
            - {name: ctx1, context: {cluster: shared, user: u1}}
            current-context: ctx1
            """);
        var second = _dir.Write("b.yaml", """
            clusters:
            - {name: shared, cluster: {server: "https://second:6443"}}
            - {name: other, cluster: {server: "https://other:6443", insecure-skip-tls-verify: true}}
            users:
            - {name: u2, user: {token: two}}
            contexts:
            - {name: ctx2, context: {cluster: other, user: u2, namespace: ns2}}
            current-context: ctx2
            """);
        var missing = Path.Combine(_dir.Path, "missing.yaml");

        var config = KubeConfig.Load(null, string.Join(':', first, missing, second, first), "/nonexistent-home");

        config.Files.Should().Equal(first, second);
        config.CurrentContext.Should().Be("ctx1");
        config.Clusters["shared"].Server.Should().Be("https://first:6443");
        config.Contexts.Keys.Should().BeEquivalentTo("ctx1", "ctx2");
        var other = config.ToConnection("ctx2");
        other.Server.Host.Should().Be("other");
        other.InsecureSkipTlsVerify.Should().BeTrue();
        other.Namespace.Should().Be("ns2");
    }

    [Fact]
    public void Load_NoVariable_ReadsHomeKubeConfig()
    {
        _dir.Write(".kube/config", "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:8080'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n");

        var connection = KubeConfig.Load(null, null, _dir.Path).ToConnection();

        connection.Server.Should().Be(new Uri("http://127.0.0.1:8080"));
        connection.Namespace.Should().Be("default");
        connection.Credentials.Should().BeOfType<StaticCredentials>();
    }

    [Fact]
    public async Task Load_RelativePaths_ResolveAgainstTheKubeconfigDirectory()
    {
        _dir.Write("conf/token.txt", "file-token\n");
        _dir.Write("conf/ca.pem", Authority.CertificatePem);
        var path = _dir.Write("conf/config", """
            clusters: [{name: c, cluster: {server: "https://k:6443", certificate-authority: ca.pem}}]
            users: [{name: u, user: {tokenFile: token.txt}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);

        var config = KubeConfig.Load(path);
        var connection = config.ToConnection();

        config.Users["u"].TokenFile.Should().Be(Path.Combine(_dir.Path, "conf", "token.txt"));
        connection.CertificateAuthorities.Should().ContainSingle();
        (await connection.Credentials.GetAsync(default)).Authorization!.Parameter.Should().Be("file-token");
    }

    [Fact]
    public async Task ToConnection_BasicAuth_SendsBase64UserAndPassword()
    {
        var path = _dir.Write("config", """
            clusters: [{name: c, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {username: admin, password: "p@ss"}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            """);

        var connection = KubeConfig.Load(path).ToConnection("x");

        (await connection.Credentials.GetAsync(default)).Authorization!.ToString().Should().Be("Basic YWRtaW46cEBzcw==");
    }

    [Fact]
    public async Task ToConnection_ClientCertificateData_LoadsCertificateWithKey()
    {
        var client = Authority.Issue("system:admin");
        var path = _dir.Write("config", $$"""
            clusters: [{name: c, cluster: {server: "https://k:6443"} }]
            users: [{name: u, user: {client-certificate-data: {{client.CertificatePemBase64}}, client-key-data: {{client.KeyPemBase64}} } }]
            contexts: [{name: x, context: {cluster: c, user: u} }]
            current-context: x
            """);

        var credential = await KubeConfig.Load(path).ToConnection().Credentials.GetAsync(default);

        credential.Authorization.Should().BeNull();
        credential.ClientCertificate!.Subject.Should().Be("CN=system:admin");
        credential.ClientCertificate.HasPrivateKey.Should().BeTrue();
    }

    [Theory]
    [InlineData("current-context: nope", "Context 'nope' is not defined in kubeconfig *config (defined: x).")]
    [InlineData("current-context: ''", "kubeconfig *config sets no current-context; choose a context (defined: x).")]
    public void ToConnection_UnknownOrMissingContext_NamesAvailableContexts(string currentContext, string message)
    {
        var path = _dir.Write("config", $"clusters: [{{name: c, cluster: {{server: 'https://k'}}}}]\ncontexts: [{{name: x, context: {{cluster: c}}}}]\n{currentContext}\n");

        var act = () => KubeConfig.Load(path).ToConnection();

        act.Should().Throw<KubeConfigException>().WithMessage(message);
    }

    [Theory]
    [InlineData("contexts: [{name: x, context: {cluster: gone}}]", "Context 'x' in '*config' refers to cluster 'gone', which kubeconfig *config does not define (defined: c).")]
    [InlineData("contexts: [{name: x, context: {cluster: c, user: ghost}}]", "Context 'x' in '*config' refers to user 'ghost', which kubeconfig *config does not define (none defined).")]
    public void ToConnection_DanglingReference_NamesContextAndMissingEntry(string contexts, string message)
    {
        var path = _dir.Write("config", $"clusters: [{{name: c, cluster: {{server: 'https://k'}}}}]\n{contexts}\n");

        var act = () => KubeConfig.Load(path).ToConnection("x");

        act.Should().Throw<KubeConfigException>().WithMessage(message);
    }

    [Theory]
    [InlineData("{server: 'k8s.local:6443'}", "Cluster 'c' in '*config': server 'k8s.local:6443' is not an http(s) URL.")]
    [InlineData("{server: 'https://k', certificate-authority-data: '!!notbase64'}", "cluster 'c' in '*config': certificate-authority-data is not valid base64.")]
    [InlineData("{server: 'https://k', certificate-authority: '/nonexistent/ca.crt'}", "cluster 'c' in '*config': certificate-authority '/nonexistent/ca.crt' does not exist.")]
    [InlineData("{server: 'https://k', certificate-authority-data: 'aGVsbG8='}", "cluster 'c' in '*config': the certificate authority holds no PEM certificate.")]
    public void ToConnection_BadClusterField_NamesClusterFileAndField(string cluster, string message)
    {
        var path = _dir.Write("config", $"clusters: [{{name: c, cluster: {cluster}}}]\ncontexts: [{{name: x, context: {{cluster: c}}}}]\n");

        var act = () => KubeConfig.Load(path).ToConnection("x");

        act.Should().Throw<KubeConfigException>().WithMessage(message);
    }

    [Fact]
    public void ToConnection_CertificateWithoutKey_NamesUserAndMissingField()
    {
        var path = _dir.Write("config", $$"""
            clusters: [{name: c, cluster: {server: "https://k"} }]
            users: [{name: u, user: {client-certificate-data: {{Authority.CertificatePemBase64}} } }]
            contexts: [{name: x, context: {cluster: c, user: u} }]
            """);

        var act = () => KubeConfig.Load(path).ToConnection("x");

        act.Should().Throw<KubeConfigException>().WithMessage("user 'u' in '*config': client-certificate is set but client-key(-data) is missing.");
    }

    [Fact]
    public void Load_InvalidYaml_NamesFileAndLine()
    {
        var path = _dir.Write("config", "clusters:\n- name: c\n  cluster: [unclosed\n");

        var act = () => KubeConfig.Load(path);

        act.Should().Throw<KubeConfigException>().WithMessage($"kubeconfig '{path}' is not valid YAML (line *");
    }

    [Fact]
    public void Load_EntryWithoutName_NamesSectionAndIndex()
    {
        var path = _dir.Write("config", "clusters:\n- name: a\n  cluster: {server: 'https://a'}\n- cluster: {server: 'https://b'}\n");

        var act = () => KubeConfig.Load(path);

        act.Should().Throw<KubeConfigException>().WithMessage($"kubeconfig '{path}': clusters[1] has no name.");
    }

    [Theory]
    [InlineData("explicit")]
    [InlineData("variable")]
    [InlineData("home")]
    public void Load_NothingToRead_SaysWhereItLooked(string source)
    {
        var missing = Path.Combine(_dir.Path, "nope");

        var act = () => source switch
        {
            "explicit" => KubeConfig.Load(missing, null, _dir.Path),
            "variable" => KubeConfig.Load(null, missing, _dir.Path),
            _ => KubeConfig.Load(null, null, _dir.Path),
        };

        act.Should().Throw<KubeConfigException>().WithMessage(source == "home" ? $"*{_dir.Path}/.kube/config*" : $"*{missing}*");
    }
}
