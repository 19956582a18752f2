using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace K8sFlow.Kubernetes.Config;

/// <summary>What a request presents: an Authorization header and/or a TLS client certificate.</summary>
public sealed record KubeCredential(AuthenticationHeaderValue? Authorization, X509Certificate2? ClientCertificate)
{
    public static KubeCredential None { get; } = new(null, null);
}

/// <summary>Supplies credentials per request; implementations cache and refresh as their source requires.</summary>
public interface IKubeCredentials
{
    ValueTask<KubeCredential> GetAsync(CancellationToken cancellationToken);

    /// <summary>The server answered 401: drop cached values so the next request fetches fresh ones.</summary>
    void Invalidate();
}

/// <summary>A fixed token, basic auth or client certificate.</summary>
public sealed class StaticCredentials(KubeCredential credential) : IKubeCredentials
{
    public static StaticCredentials None { get; } = new(KubeCredential.None);

    public static StaticCredentials BearerToken(string token) => new(new KubeCredential(new AuthenticationHeaderValue("Bearer", token), null));

    public ValueTask<KubeCredential> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(credential);

    public void Invalidate()
    {
        // Nothing to refresh.
    }
}

/// <summary>
/// A bearer token read from a file and re-read every <c>refreshInterval</c> (and after a 401):
/// projected service account tokens rotate.
/// </summary>
public sealed class TokenFileCredentials(string path, X509Certificate2? clientCertificate, TimeProvider timeProvider, TimeSpan? refreshInterval = null)
    : IKubeCredentials
{
    private readonly TimeSpan _refreshInterval = refreshInterval ?? TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Cached? _cached;

    public string Path => path;

    public async ValueTask<KubeCredential> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && timeProvider.GetUtcNow() < fresh.ReadAt + _refreshInterval)
        {
            return fresh.Credential;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cached is { } other && timeProvider.GetUtcNow() < other.ReadAt + _refreshInterval)
            {
                return other.Credential;
            }
            var token = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim();
            if (token.Length == 0)
            {
                throw new KubeConfigException($"Token file '{path}' is empty.");
            }
            var credential = new KubeCredential(new AuthenticationHeaderValue("Bearer", token), clientCertificate);
            _cached = new Cached(credential, timeProvider.GetUtcNow());
            return credential;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Invalidate() => _cached = null;

    private sealed record Cached(KubeCredential Credential, DateTimeOffset ReadAt);
}
