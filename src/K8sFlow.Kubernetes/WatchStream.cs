using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes;

/// <summary>Reads a watch response: one JSON event per line, however the chunks split them.</summary>
public static class WatchStream
{
    public static async IAsyncEnumerable<WatchEvent<T>> ReadAsync<T>(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return Parse<T>(line);
            }
        }
    }

    private static WatchEvent<T> Parse<T>(string line) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<WatchEvent<T>>(line, KubeJson.Options)
                ?? throw new JsonException("null watch event");
        }
        catch (JsonException e)
        {
            var shown = line.Length <= 200 ? line : line[..200] + "...";
            throw new InvalidDataException($"Malformed watch event line: {e.Message} Line: {shown}", e);
        }
    }
}
