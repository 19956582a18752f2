using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Tests.Support;

/// <summary>Reads a watch response line by line, waiting at most a generous bound for each event.</summary>
public sealed class WatchReader : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    public WatchReader(HttpResponseMessage response)
    {
        _response = response;
        _reader = new StreamReader(response.Content.ReadAsStream());
    }

    public HttpResponseMessage Response => _response;

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<JsonObject?> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var line = await _reader.ReadLineAsync(timeout.Token);
        return line is null ? null : JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>Reads events until one satisfies <paramref name="predicate"/>.</summary>
    public async Task<JsonObject> NextMatchingAsync(Func<JsonObject, bool> predicate)
    {
        while (true)
        {
            var next = await NextAsync() ?? throw new InvalidOperationException("the watch ended before the expected event");
            if (predicate(next))
            {
                return next;
            }
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
