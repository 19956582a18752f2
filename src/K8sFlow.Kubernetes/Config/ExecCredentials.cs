using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace K8sFlow.Kubernetes.Config;

/// <summary>
/// Credentials from an exec plugin (<c>users[].user.exec</c>): runs the command, reads the
/// ExecCredential it prints, and caches it until its expirationTimestamp (or a 401).
/// </summary>
public sealed class ExecCredentials : IKubeCredentials
{
    /// <summary>Credentials are refreshed this long before they expire, so no request carries a dying token.</summary>
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly ExecConfig _config;
    private readonly string _where;
    private readonly KubeConfigCluster? _clusterInfo;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Cached? _cached;

    /// <summary>
    /// <paramref name="where"/> names the kubeconfig user in errors; <paramref name="clusterInfo"/> is
    /// passed to the plugin in KUBERNETES_EXEC_INFO (when provideClusterInfo is set).
    /// </summary>
    public ExecCredentials(ExecConfig config, string where, KubeConfigCluster? clusterInfo, TimeProvider timeProvider)
    {
        if (string.IsNullOrEmpty(config.Command))
        {
            throw new KubeConfigException($"{where}: exec.command is required.");
        }
        if (config.ApiVersion is not ("client.authentication.k8s.io/v1" or "client.authentication.k8s.io/v1beta1"))
        {
            throw new KubeConfigException(
                $"{where}: exec.apiVersion '{config.ApiVersion}' is not supported (client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1).");
        }
        if (config.InteractiveMode == "Always")
        {
            throw new KubeConfigException($"{where}: exec.interactiveMode Always needs a terminal, which K8sFlow never has (use Never or IfAvailable).");
        }
        _config = config;
        _where = where;
        _clusterInfo = clusterInfo;
        _time = timeProvider;
    }

    /// <summary>How often the plugin has run (tests and diagnostics).</summary>
    public int Runs { get; private set; }

    public async ValueTask<KubeCredential> GetAsync(CancellationToken cancellationToken)
    {
        if (IsFresh(_cached))
        {
            return _cached!.Credential;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsFresh(_cached))
            {
                return _cached!.Credential;
            }
            var cached = await RunPluginAsync(cancellationToken).ConfigureAwait(false);
            _cached = cached;
            return cached.Credential;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Invalidate() => _cached = null;

    private bool IsFresh(Cached? cached) =>
        cached is not null && (cached.ExpiresAt is null || _time.GetUtcNow() < cached.ExpiresAt.Value - ExpiryMargin);

    private async Task<Cached> RunPluginAsync(CancellationToken cancellationToken)
    {
        var command = _config.Command!;
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in _config.Args ?? [])
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var variable in _config.Env ?? [])
        {
            start.Environment[variable.Name] = variable.Value;
        }
        start.Environment["KUBERNETES_EXEC_INFO"] = ExecInfo();

        using var process = new Process { StartInfo = start };
        Runs++;
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            var hint = string.IsNullOrEmpty(_config.InstallHint) ? "" : $" {_config.InstallHint.Trim()}";
            throw new KubeConfigException($"{_where}: exec plugin '{command}' could not be started: {e.Message}.{hint}", e);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new KubeConfigException($"{_where}: exec plugin '{command}' exited with code {process.ExitCode}: {errors.Trim()}");
        }
        return Parse(output, command);
    }

    private Cached Parse(string output, string command)
    {
        ExecCredential? credential;
        try
        {
            credential = JsonSerializer.Deserialize<ExecCredential>(output, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new KubeConfigException($"{_where}: exec plugin '{command}' printed no ExecCredential JSON: {e.Message}", e);
        }
        if (credential is not { Kind: "ExecCredential" } || credential.ApiVersion != _config.ApiVersion)
        {
            throw new KubeConfigException(
                $"{_where}: exec plugin '{command}' printed kind '{credential?.Kind}' apiVersion '{credential?.ApiVersion}'; expected ExecCredential {_config.ApiVersion}.");
        }
        var status = credential.Status
            ?? throw new KubeConfigException($"{_where}: exec plugin '{command}' printed an ExecCredential without status.");
        var header = string.IsNullOrEmpty(status.Token) ? null : new AuthenticationHeaderValue("Bearer", status.Token);
        var certificate = (status.ClientCertificateData, status.ClientKeyData) switch
        {
            (null or "", null or "") => null,
            (not (null or ""), not (null or "")) => Certificates.ClientCertificate(status.ClientCertificateData, status.ClientKeyData, _where),
            _ => throw new KubeConfigException(
                $"{_where}: exec plugin '{command}' printed only one of status.clientCertificateData and status.clientKeyData."),
        };
        if (header is null && certificate is null)
        {
            throw new KubeConfigException($"{_where}: exec plugin '{command}' printed neither status.token nor status.clientCertificateData.");
        }
        return new Cached(new KubeCredential(header, certificate), status.ExpirationTimestamp);
    }

    /// <summary>KUBERNETES_EXEC_INFO: tells the plugin it runs non-interactively, and the cluster when asked.</summary>
    private string ExecInfo()
    {
        var spec = new JsonObject { ["interactive"] = false };
        if (_clusterInfo is not null)
        {
            var cluster = new JsonObject { ["server"] = _clusterInfo.Server };
            if (_clusterInfo.TlsServerName is { } name)
            {
                cluster["tls-server-name"] = name;
            }
            if (_clusterInfo.InsecureSkipTlsVerify)
            {
                cluster["insecure-skip-tls-verify"] = true;
            }
            if (_clusterInfo.CertificateAuthorityData is { } ca)
            {
                cluster["certificate-authority-data"] = ca;
            }
            else if (_clusterInfo.CertificateAuthority is { } caFile && File.Exists(caFile))
            {
                cluster["certificate-authority-data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(File.ReadAllText(caFile)));
            }
            if (_clusterInfo.ProxyUrl is { } proxy)
            {
                cluster["proxy-url"] = proxy;
            }
            spec["cluster"] = cluster;
        }
        return new JsonObject { ["apiVersion"] = _config.ApiVersion, ["kind"] = "ExecCredential", ["spec"] = spec }.ToJsonString();
    }

    private sealed record Cached(KubeCredential Credential, DateTimeOffset? ExpiresAt);

    private sealed record ExecCredential(string? ApiVersion, string? Kind, ExecCredentialStatus? Status);

    private sealed record ExecCredentialStatus(
        string? Token,
        string? ClientCertificateData,
        string? ClientKeyData,
        [property: JsonPropertyName("expirationTimestamp")] DateTimeOffset? ExpirationTimestamp);
}
