using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Config;

public sealed class ExecCredentialsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Exec_PrintsToken_ArgsAndEnvReachPlugin_CachedUntilExpiry()
    {
        var connection = Connection(TokenPlugin(expiresAt: "2026-01-01T00:10:00Z"), provideClusterInfo: true);

        var first = await connection.Credentials.GetAsync(default);
        var second = await connection.Credentials.GetAsync(default);

        first.Authorization!.ToString().Should().Be("Bearer tok-arg1-fromenv");
        second.Should().BeSameAs(first);
        Runs().Should().Be(1);
        var info = File.ReadAllText(Path.Combine(_dir.Path, "info.json"));
        info.Should().Contain("\"kind\":\"ExecCredential\"").And.Contain("\"interactive\":false").And.Contain("\"server\":\"https://k:6443\"");
    }

    [Fact]
    public async Task Exec_CredentialExpired_RunsPluginAgain()
    {
        var connection = Connection(TokenPlugin(expiresAt: "2026-01-01T00:10:00Z"));
        await connection.Credentials.GetAsync(default);

        _time.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(49));
        await connection.Credentials.GetAsync(default);
        var runsBeforeMargin = Runs();
        _time.Advance(TimeSpan.FromSeconds(2));
        await connection.Credentials.GetAsync(default);

        runsBeforeMargin.Should().Be(1);
        Runs().Should().Be(2, "credentials are refreshed 10 s before they expire");
    }

    [Fact]
    public async Task Exec_NoExpiry_CachedUntilServerRefusesIt()
    {
        var connection = Connection(TokenPlugin(expiresAt: null));
        await connection.Credentials.GetAsync(default);
        _time.Advance(TimeSpan.FromDays(1));
        await connection.Credentials.GetAsync(default);

        connection.Credentials.Invalidate();
        await connection.Credentials.GetAsync(default);

        Runs().Should().Be(2);
    }

    [Fact]
    public async Task Exec_ClientCertificateData_GivesCertificate()
    {
        var authority = TestCertificate.CreateAuthority("ca");
        var client = authority.Issue("exec-user");
        var escapedCert = client.CertificatePem.ReplaceLineEndings("\\n");
        var escapedKey = client.KeyPem.ReplaceLineEndings("\\n");
        var plugin = _dir.WriteScript("plugin.sh", $$$"""
            cat <<'EOF'
            {"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"clientCertificateData":"{{{escapedCert}}}","clientKeyData":"{{{escapedKey}}}"}}
            EOF
            """);

        var credential = await Connection(plugin, apiVersion: "client.authentication.k8s.io/v1beta1").Credentials.GetAsync(default);

        credential.ClientCertificate!.Subject.Should().Be("CN=exec-user");
        credential.Authorization.Should().BeNull();
    }

    [Fact]
    public async Task Exec_PluginFails_NamesUserCommandAndStderr()
    {
        var plugin = _dir.WriteScript("plugin.sh", "echo 'token expired, run login' >&2\nexit 3\n");

        var act = async () => await Connection(plugin).Credentials.GetAsync(default);

        await act.Should().ThrowAsync<KubeConfigException>()
            .WithMessage($"user 'u' in '*config': exec plugin '{plugin}' exited with code 3: token expired, run login");
    }

    [Fact]
    public async Task Exec_WrongApiVersionPrinted_IsRefused()
    {
        var plugin = _dir.WriteScript("plugin.sh", """echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}'""" + "\n");

        var act = async () => await Connection(plugin).Credentials.GetAsync(default);

        await act.Should().ThrowAsync<KubeConfigException>().WithMessage("*printed kind 'ExecCredential' apiVersion 'client.authentication.k8s.io/v1beta1'; expected ExecCredential client.authentication.k8s.io/v1.");
    }

    [Fact]
    public async Task Exec_MissingCommand_ShowsInstallHint()
    {
        var act = async () => await Connection("/nonexistent/kubelogin", installHint: "Install kubelogin from your platform team.").Credentials.GetAsync(default);

        await act.Should().ThrowAsync<KubeConfigException>().WithMessage("*exec plugin '/nonexistent/kubelogin' could not be started*Install kubelogin from your platform team.");
    }

    [Fact]
    public void Exec_RelativeCommandWithDirectory_ResolvesAgainstKubeconfig()
    {
        var path = _dir.Write("config", """
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/login}}}]
            """);

        KubeConfig.Load(path).Users["u"].Exec!.Command.Should().Be(Path.Combine(_dir.Path, "bin", "login"));
    }

    private string TokenPlugin(string? expiresAt)
    {
        var expiry = expiresAt is null ? "" : $",\"expirationTimestamp\":\"{expiresAt}\"";
        return _dir.WriteScript("plugin.sh", $$$"""
            echo run >> "{{{_dir.Path}}}/runs"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "{{{_dir.Path}}}/info.json"
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-'"$1"'-'"$MY_VAR"'"{{{expiry}}}}}'
            """);
    }

    private int Runs() => File.ReadAllLines(Path.Combine(_dir.Path, "runs")).Length;

    private ClusterConnection Connection(string command, string apiVersion = "client.authentication.k8s.io/v1", bool provideClusterInfo = false,
        string? installHint = null)
    {
        var path = _dir.Write("config", $$"""
            clusters: [{name: c, cluster: {server: "https://k:6443"} }]
            users:
            - name: u
              user:
                exec:
                  apiVersion: {{apiVersion}}
                  command: {{command}}
                  args: [arg1]
                  env: [{name: MY_VAR, value: fromenv}]
                  provideClusterInfo: {{provideClusterInfo.ToString().ToLowerInvariant()}}
                  installHint: "{{installHint}}"
                  interactiveMode: Never
            contexts: [{name: x, context: {cluster: c, user: u} }]
            current-context: x
            """);
        return KubeConfig.Load(path).ToConnection(timeProvider: _time);
    }
}
