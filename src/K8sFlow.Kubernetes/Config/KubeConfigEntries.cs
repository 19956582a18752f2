using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Serialization;

namespace K8sFlow.Kubernetes.Config;

/// <summary><c>clusters[].cluster</c> of a kubeconfig; file paths are absolute once loaded.</summary>
public sealed record KubeConfigCluster
{
    [YamlMember(Alias = "server")]
    public string? Server { get; init; }

    [YamlMember(Alias = "certificate-authority")]
    public string? CertificateAuthority { get; init; }

    /// <summary>Base64 of PEM.</summary>
    [YamlMember(Alias = "certificate-authority-data")]
    public string? CertificateAuthorityData { get; init; }

    [YamlMember(Alias = "insecure-skip-tls-verify")]
    public bool InsecureSkipTlsVerify { get; init; }

    [YamlMember(Alias = "tls-server-name")]
    public string? TlsServerName { get; init; }

    [YamlMember(Alias = "proxy-url")]
    public string? ProxyUrl { get; init; }

    [YamlIgnore]
    public string SourceFile { get; init; } = "";

    internal KubeConfigCluster Resolve(string directory, string sourcePath) => this with
    {
        CertificateAuthority = ConfigPaths.Resolve(directory, CertificateAuthority),
        SourceFile = sourcePath,
    };

    internal Uri ServerUri(string name) =>
        Uri.TryCreate(Server, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new KubeConfigException($"Cluster '{name}' in '{SourceFile}': server '{Server}' is not an http(s) URL.");

    internal Uri? ProxyUri(string name) =>
        string.IsNullOrEmpty(ProxyUrl) ? null
        : Uri.TryCreate(ProxyUrl, UriKind.Absolute, out var uri) ? uri
        : throw new KubeConfigException($"Cluster '{name}' in '{SourceFile}': proxy-url '{ProxyUrl}' is not an absolute URL.");

    internal X509Certificate2Collection? LoadCertificateAuthorities(string name)
    {
        var where = $"cluster '{name}' in '{SourceFile}'";
        var pem = ConfigPaths.ReadDataOrFile(CertificateAuthorityData, "certificate-authority-data", CertificateAuthority, "certificate-authority", where);
        return pem is null ? null : Certificates.ParseAuthorities(pem, where);
    }
}

/// <summary><c>users[].user</c> of a kubeconfig; file paths are absolute once loaded.</summary>
public sealed record KubeConfigUser
{
    [YamlMember(Alias = "token")]
    public string? Token { get; init; }

    [YamlMember(Alias = "tokenFile")]
    public string? TokenFile { get; init; }

    [YamlMember(Alias = "client-certificate")]
    public string? ClientCertificate { get; init; }

    [YamlMember(Alias = "client-certificate-data")]
    public string? ClientCertificateData { get; init; }

    [YamlMember(Alias = "client-key")]
    public string? ClientKey { get; init; }

    [YamlMember(Alias = "client-key-data")]
    public string? ClientKeyData { get; init; }

    [YamlMember(Alias = "username")]
    public string? Username { get; init; }

    [YamlMember(Alias = "password")]
    public string? Password { get; init; }

    [YamlMember(Alias = "exec")]
    public ExecConfig? Exec { get; init; }

    [YamlIgnore]
    public string SourceFile { get; init; } = "";

    internal KubeConfigUser Resolve(string directory, string sourcePath) => this with
    {
        TokenFile = ConfigPaths.Resolve(directory, TokenFile),
        ClientCertificate = ConfigPaths.Resolve(directory, ClientCertificate),
        ClientKey = ConfigPaths.Resolve(directory, ClientKey),
        // kubectl: a command with a directory part is relative to the kubeconfig; a bare name is looked up on PATH.
        Exec = Exec is { Command: { } command } && command.Contains('/') ? Exec with { Command = ConfigPaths.Resolve(directory, command) } : Exec,
        SourceFile = sourcePath,
    };

    /// <summary>Bearer token, token file, basic auth or exec plugin, plus an optional client certificate.</summary>
    internal IKubeCredentials CreateCredentials(string name, KubeConfigCluster cluster, TimeProvider time)
    {
        var where = $"user '{name}' in '{SourceFile}'";
        if (Exec is not null)
        {
            return new ExecCredentials(Exec, where, Exec.ProvideClusterInfo ? cluster : null, time);
        }
        var certificate = LoadClientCertificate(where);
        if (!string.IsNullOrEmpty(Token))
        {
            return new StaticCredentials(new KubeCredential(new AuthenticationHeaderValue("Bearer", Token), certificate));
        }
        if (!string.IsNullOrEmpty(TokenFile))
        {
            return File.Exists(TokenFile)
                ? new TokenFileCredentials(TokenFile, certificate, time)
                : throw new KubeConfigException($"{where}: tokenFile '{TokenFile}' does not exist.");
        }
        if (!string.IsNullOrEmpty(Username))
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
            return new StaticCredentials(new KubeCredential(new AuthenticationHeaderValue("Basic", basic), certificate));
        }
        return new StaticCredentials(new KubeCredential(null, certificate));
    }

    private X509Certificate2? LoadClientCertificate(string where)
    {
        var certificate = ConfigPaths.ReadDataOrFile(ClientCertificateData, "client-certificate-data", ClientCertificate, "client-certificate", where);
        var key = ConfigPaths.ReadDataOrFile(ClientKeyData, "client-key-data", ClientKey, "client-key", where);
        return (certificate, key) switch
        {
            (null, null) => null,
            (not null, not null) => Certificates.ClientCertificate(certificate, key, where),
            (null, _) => throw new KubeConfigException($"{where}: client-key is set but client-certificate(-data) is missing."),
            (_, null) => throw new KubeConfigException($"{where}: client-certificate is set but client-key(-data) is missing."),
        };
    }
}

/// <summary><c>users[].user.exec</c>: a credential plugin (client.authentication.k8s.io).</summary>
public sealed record ExecConfig
{
    [YamlMember(Alias = "apiVersion")]
    public string? ApiVersion { get; init; }

    [YamlMember(Alias = "command")]
    public string? Command { get; init; }

    [YamlMember(Alias = "args")]
    public List<string>? Args { get; init; }

    [YamlMember(Alias = "env")]
    public List<ExecEnvVar>? Env { get; init; }

    /// <summary>Never, IfAvailable or Always; K8sFlow never provides a terminal, so Always fails.</summary>
    [YamlMember(Alias = "interactiveMode")]
    public string? InteractiveMode { get; init; }

    [YamlMember(Alias = "provideClusterInfo")]
    public bool ProvideClusterInfo { get; init; }

    [YamlMember(Alias = "installHint")]
    public string? InstallHint { get; init; }
}

public sealed record ExecEnvVar
{
    [YamlMember(Alias = "name")]
    public string Name { get; init; } = "";

    [YamlMember(Alias = "value")]
    public string? Value { get; init; }
}

internal static class ConfigPaths
{
    public static string? Resolve(string directory, string? path) =>
        string.IsNullOrEmpty(path) ? path : Path.GetFullPath(path, directory);

    /// <summary>The decoded <c>-data</c> field, else the file's text, else null; errors name the field.</summary>
    public static string? ReadDataOrFile(string? base64, string dataField, string? path, string fileField, string where)
    {
        if (!string.IsNullOrEmpty(base64))
        {
            var bytes = new byte[base64.Length];
            return Convert.TryFromBase64String(base64, bytes, out var written)
                ? Encoding.UTF8.GetString(bytes, 0, written)
                : throw new KubeConfigException($"{where}: {dataField} is not valid base64.");
        }
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new KubeConfigException($"{where}: {fileField} '{path}' does not exist.");
    }
}

internal static class Certificates
{
    public static X509Certificate2Collection ParseAuthorities(string pem, string where)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"{where}: the certificate authority is not valid PEM: {e.Message}", e);
        }
        return collection.Count > 0 ? collection : throw new KubeConfigException($"{where}: the certificate authority holds no PEM certificate.");
    }

    public static X509Certificate2 ClientCertificate(string certificatePem, string keyPem, string where)
    {
        try
        {
            return X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"{where}: the client certificate or key is not valid PEM: {e.Message}", e);
        }
    }
}
