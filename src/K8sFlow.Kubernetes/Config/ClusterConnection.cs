using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace K8sFlow.Kubernetes.Config;

/// <summary>Where the API server is and how to talk to it: URL, TLS trust, credentials, namespace.</summary>
public sealed record ClusterConnection
{
    public required Uri Server { get; init; }

    /// <summary>The context's namespace (in-cluster: the pod's), "default" when unset.</summary>
    public string Namespace { get; init; } = "default";

    public IKubeCredentials Credentials { get; init; } = StaticCredentials.None;

    /// <summary>Trusted roots for the server certificate; null trusts the system store.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The name the server certificate is checked against instead of the URL's host.</summary>
    public string? TlsServerName { get; init; }

    public Uri? Proxy { get; init; }

    /// <summary>Where this came from, for messages ("kubeconfig context 'kind-dev'", "in-cluster").</summary>
    public string Source { get; init; } = "";

    /// <summary>The in-cluster connection when running in a pod, else the kubeconfig's current context.</summary>
    public static ClusterConnection Discover(string? kubeconfigPath = null, string? context = null, TimeProvider? timeProvider = null) =>
        kubeconfigPath is null && context is null && InClusterConfig.IsInCluster()
            ? InClusterConfig.Load(new InClusterOptions { TimeProvider = timeProvider ?? TimeProvider.System })
            : KubeConfig.Load(kubeconfigPath).ToConnection(context, timeProvider);

    /// <summary>An HTTP handler with this connection's TLS settings, proxy and credentials.</summary>
    public HttpMessageHandler CreateHandler()
    {
        var certificateHolder = new ClientCertificateHolder();
        var sockets = new SocketsHttpHandler
        {
            // New connections pick up rotated client certificates and follow API server endpoint changes.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = ValidateServerCertificate,
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificateHolder.Current!,
            },
        };
        if (Proxy is not null)
        {
            sockets.Proxy = new WebProxy(Proxy);
            sockets.UseProxy = true;
        }
        return new CredentialsHandler(Credentials, certificateHolder) { InnerHandler = sockets };
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (InsecureSkipTlsVerify)
        {
            return true;
        }
        if (certificate is null)
        {
            return false;
        }
        using var serverCertificate = new X509Certificate2(certificate);
        var nameMatches = TlsServerName is null
            ? (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
            : serverCertificate.MatchesHostname(TlsServerName);
        if (!nameMatches)
        {
            return false;
        }
        if (CertificateAuthorities is null)
        {
            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        }
        using var customChain = new X509Chain();
        customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        customChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        customChain.ChainPolicy.CustomTrustStore.AddRange(CertificateAuthorities);
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                customChain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return customChain.Build(serverCertificate);
    }

    /// <summary>The client certificate of the latest credential, read by the TLS handshake.</summary>
    private sealed class ClientCertificateHolder
    {
        private volatile X509Certificate2? _current;

        public X509Certificate2? Current
        {
            get => _current;
            set => _current = value;
        }
    }

    /// <summary>Adds the Authorization header; a 401 drops cached credentials so the next request refreshes them.</summary>
    private sealed class CredentialsHandler(IKubeCredentials credentials, ClientCertificateHolder certificateHolder) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var credential = await credentials.GetAsync(cancellationToken).ConfigureAwait(false);
            certificateHolder.Current = credential.ClientCertificate;
            if (credential.Authorization is not null)
            {
                request.Headers.Authorization = credential.Authorization;
            }
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                credentials.Invalidate();
            }
            return response;
        }
    }
}
