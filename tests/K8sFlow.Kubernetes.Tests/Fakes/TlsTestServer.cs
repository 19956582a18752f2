using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace K8sFlow.Kubernetes.Tests.Fakes;

/// <summary>A one-response-per-connection HTTPS server on loopback that records what the client presented.</summary>
public sealed class TlsTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly string _responseBody;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<(string? ClientSubject, string? Authorization)> _seen = [];

    public TlsTestServer(TestCertificate serverCertificate, string responseBody)
    {
        // Reloaded through PKCS#12 so the key is usable by the TLS stack on every platform.
        _certificate = X509CertificateLoader.LoadPkcs12(serverCertificate.Certificate.Export(X509ContentType.Pkcs12), null);
        _responseBody = responseBody;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public IReadOnlyList<(string? ClientSubject, string? Authorization)> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        _certificate.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            await using var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = true,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                }, _stop.Token);
                var request = await ReadHeadersAsync(tls);
                var authorization = request.Split("\r\n").FirstOrDefault(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase))?[14..].Trim();
                lock (_seen)
                {
                    _seen.Add((tls.RemoteCertificate?.Subject, authorization));
                }
                var body = Encoding.UTF8.GetBytes(_responseBody);
                var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                await tls.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), _stop.Token);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                // The client refused the handshake: that is what some tests expect.
            }
        }
    }

    private async Task<string> ReadHeadersAsync(Stream stream)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\r\n\r\n"))
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                break;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return received.ToString();
    }
}
