namespace K8sFlow.Operator.IntegrationTests.Support;

/// <summary>
/// Sits between one client and the API server. Once <see cref="BlackHole"/> is called, new requests get no answer
/// (they wait until their caller gives up), like a node cut off by a partition that drops packets. It owns the
/// connection handler behind it: dispose it after the client's last use.
/// </summary>
public sealed class NetworkPartition : DelegatingHandler
{
    private volatile bool _blackHoled;

    public void BlackHole() => _blackHoled = true;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_blackHoled)
        {
            // No answer ever comes: only the caller's cancellation (its timeout) ends the request.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        return await base.SendAsync(request, cancellationToken);
    }
}
