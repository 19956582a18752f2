using System.Net.Sockets;

namespace K8sFlow.Kubernetes.Config;

public sealed record InClusterOptions
{
    public const string DefaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Holds token, ca.crt and namespace.</summary>
    public string ServiceAccountDirectory { get; init; } = DefaultServiceAccountDirectory;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The token rotates (bound service account tokens); it is re-read this often.</summary>
    public TimeSpan TokenRefreshInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>The service-account connection of a pod: KUBERNETES_SERVICE_HOST/PORT and the mounted token, CA and namespace.</summary>
public static class InClusterConfig
{
    public const string HostVariable = "KUBERNETES_SERVICE_HOST";
    public const string PortVariable = "KUBERNETES_SERVICE_PORT";

    public static bool IsInCluster(InClusterOptions? options = null)
    {
        options ??= new InClusterOptions();
        return !string.IsNullOrEmpty(options.GetEnvironmentVariable(HostVariable))
            && !string.IsNullOrEmpty(options.GetEnvironmentVariable(PortVariable))
            && File.Exists(Path.Combine(options.ServiceAccountDirectory, "token"));
    }

    public static ClusterConnection Load(InClusterOptions? options = null)
    {
        options ??= new InClusterOptions();
        var host = options.GetEnvironmentVariable(HostVariable);
        var port = options.GetEnvironmentVariable(PortVariable);
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new KubeConfigException($"Not running in a cluster: {HostVariable} and {PortVariable} must both be set.");
        }
        var directory = options.ServiceAccountDirectory;
        var tokenPath = Path.Combine(directory, "token");
        if (!File.Exists(tokenPath))
        {
            throw new KubeConfigException($"In-cluster config: the service account token '{tokenPath}' does not exist.");
        }
        var caPath = Path.Combine(directory, "ca.crt");
        var namespacePath = Path.Combine(directory, "namespace");
        var @namespace = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : "";
        // An IPv6 service host needs brackets in a URL.
        var hostPart = System.Net.IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        if (!Uri.TryCreate($"https://{hostPart}:{port}", UriKind.Absolute, out var server))
        {
            throw new KubeConfigException($"In-cluster config: {HostVariable}='{host}' and {PortVariable}='{port}' do not form a URL.");
        }
        return new ClusterConnection
        {
            Server = server,
            Namespace = @namespace.Length == 0 ? "default" : @namespace,
            CertificateAuthorities = File.Exists(caPath) ? Certificates.ParseAuthorities(File.ReadAllText(caPath), $"in-cluster CA '{caPath}'") : null,
            Credentials = new TokenFileCredentials(tokenPath, null, options.TimeProvider, options.TokenRefreshInterval),
            Source = "in-cluster",
        };
    }
}
