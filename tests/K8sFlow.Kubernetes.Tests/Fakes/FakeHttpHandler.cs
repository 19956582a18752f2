using System.Net;
using System.Text;
using System.Threading.Channels;

namespace K8sFlow.Kubernetes.Tests.Fakes;

/// <summary>A request as the fake saw it.</summary>
public sealed record RecordedRequest(HttpMethod Method, string PathAndQuery, string? Body, string? ContentType, HttpRequestMessage Message)
{
    public string Path => PathAndQuery.Split('?')[0];

    public string Query(string name) =>
        System.Web.HttpUtility.ParseQueryString(PathAndQuery.Contains('?') ? PathAndQuery[(PathAndQuery.IndexOf('?') + 1)..] : "")[name] ?? "";
}

/// <summary>An HttpMessageHandler answering from a test's responder and recording every request.</summary>
public sealed class FakeHttpHandler(Func<RecordedRequest, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
{
    private readonly List<RecordedRequest> _requests = [];

    public FakeHttpHandler(Func<RecordedRequest, HttpResponseMessage> respond)
        : this((request, _) => Task.FromResult(respond(request)))
    {
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static HttpResponseMessage Json(HttpStatusCode code, string json) =>
        new(code) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Status(int code, string reason, string message, string? details = null) =>
        Json((HttpStatusCode)code,
            $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{message}}","reason":"{{reason}}"{{(details is null ? "" : ",\"details\":" + details)}},"code":{{code}}}""");

    public KubeClient Client(KubeClientOptions? options = null) =>
        new(new HttpClient(this) { BaseAddress = new Uri("https://api.test:6443") }, options ?? new KubeClientOptions { Retry = new KubeRetryOptions { MaxRetries = 0 } });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!.PathAndQuery, body, request.Content?.Headers.ContentType?.MediaType, request);
        lock (_requests)
        {
            _requests.Add(recorded);
        }
        return await respond(recorded, cancellationToken);
    }
}

/// <summary>A response body the test writes chunk by chunk, like a chunked watch stream.</summary>
public sealed class ChunkedStream : Stream
{
    private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();
    private ReadOnlyMemory<byte> _current;

    public void Write(string text) => _chunks.Writer.TryWrite(Encoding.UTF8.GetBytes(text));

    /// <summary>Ends the stream (the server closed the watch).</summary>
    public void End() => _chunks.Writer.TryComplete();

    public HttpResponseMessage Response() => new(HttpStatusCode.OK) { Content = new StreamContent(this) };

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_current.IsEmpty)
        {
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }
            _current = await _chunks.Reader.ReadAsync(cancellationToken);
        }
        var count = Math.Min(buffer.Length, _current.Length);
        _current[..count].CopyTo(buffer);
        _current = _current[count..];
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
