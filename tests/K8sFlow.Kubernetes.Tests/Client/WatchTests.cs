using System.Text;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Client;

public class WatchTests
{
    [Fact]
    public async Task Watch_SendsWatchQuery()
    {
        var stream = new ChunkedStream();
        stream.End();
        var handler = new FakeHttpHandler(_ => stream.Response());

        await foreach (var _ in handler.Client().WatchAsync(KubeKinds.Job, "ns", new WatchOptions
        {
            ResourceVersion = "103",
            AllowWatchBookmarks = true,
            TimeoutSeconds = 356,
            FieldSelector = "metadata.name=run2",
            LabelSelector = "a=b",
        }, TestWait.Token()))
        {
        }

        handler.Requests.Single().PathAndQuery.Should().Be(
            "/apis/batch/v1/namespaces/ns/jobs?allowWatchBookmarks=true&fieldSelector=metadata.name%3Drun2&labelSelector=a%3Db&resourceVersion=103&timeoutSeconds=356&watch=true");
    }

    [Fact]
    public async Task Watch_LinesSplitAcrossChunks_AreReassembled()
    {
        var stream = new ChunkedStream();
        var handler = new FakeHttpHandler(_ => stream.Response());
        var events = new List<WatchEvent<Job>>();

        var reading = Task.Run(async () =>
        {
            await foreach (var e in handler.Client().WatchAsync(KubeKinds.Job, "ns", cancellationToken: TestWait.Token()))
            {
                events.Add(e);
            }
        });
        // One event split mid-object, then two events in one chunk, then a bookmark without a trailing newline.
        stream.Write("""{"type":"ADDED","object":{"metadata":{"name":"a","resourceV""");
        stream.Write("""ersion":"1"}}}""" + "\n");
        stream.Write("""{"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}""" + "\n" +
                     """{"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"3"}}}""" + "\n\n");
        stream.Write("""{"type":"BOOKMARK","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"resourceVersion":"9"}}}""");
        stream.End();
        await reading.WaitAsync(TestWait.Bound);

        events.Select(e => (e.Type, e.Object!.Metadata.ResourceVersion)).Should().Equal(
            (WatchEventType.Added, "1"), (WatchEventType.Modified, "2"), (WatchEventType.Deleted, "3"), (WatchEventType.Bookmark, "9"));
    }

    [Fact]
    public async Task Watch_MultiByteCharacterSplitAcrossChunks_IsDecoded()
    {
        var line = Encoding.UTF8.GetBytes("""{"type":"ADDED","object":{"metadata":{"name":"a","annotations":{"n":"한글"}}}}""" + "\n");
        var splitAt = Array.IndexOf(line, (byte)0xED) + 1;
        var handler = new FakeHttpHandler(_ => new HttpResponseMessage(System.Net.HttpStatusCode.OK)
        {
            Content = new StreamContent(new SplitBytesStream(line[..splitAt], line[splitAt..])),
        });

        var events = await handler.Client().WatchAsync(KubeKinds.Job, "ns", cancellationToken: TestWait.Token()).ToListAsync();

        events.Single().Object!.Metadata.Annotations!["n"].Should().Be("한글");
    }

    [Fact]
    public async Task Watch_ExpiredErrorEvent_IsYieldedAsTypedError()
    {
        var stream = new ChunkedStream();
        stream.Write("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (9)","reason":"Expired","code":410}}""" + "\n");
        stream.End();
        var handler = new FakeHttpHandler(_ => stream.Response());

        var events = await handler.Client().WatchAsync(KubeKinds.Job, "ns", cancellationToken: TestWait.Token()).ToListAsync();

        events.Single().IsExpired.Should().BeTrue();
        events.Single().Error!.Message.Should().Be("too old resource version: 5 (9)");
    }

    [Fact]
    public async Task Watch_GoneAtStart_ThrowsGone()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(410, "Expired", "too old resource version"));

        var watching = async () => await handler.Client().WatchAsync(KubeKinds.Job, "ns").ToListAsync();

        (await watching.Should().ThrowAsync<KubeApiException>()).Which.IsGone.Should().BeTrue();
    }

    [Fact]
    public async Task Watch_MalformedLine_NamesTheLine()
    {
        var stream = new ChunkedStream();
        stream.Write("{\"type\":\"ADDED\",\"object\":\n");
        stream.End();
        var handler = new FakeHttpHandler(_ => stream.Response());

        var watching = async () => await handler.Client().WatchAsync(KubeKinds.Job, "ns").ToListAsync();

        await watching.Should().ThrowAsync<InvalidDataException>().WithMessage("Malformed watch event line*{\"type\":\"ADDED\",\"object\":*");
    }

    [Fact]
    public async Task Watch_Cancelled_StopsWhileServerIsSilent()
    {
        var stream = new ChunkedStream();
        var handler = new FakeHttpHandler(_ => stream.Response());
        using var cancel = new CancellationTokenSource();
        var reading = handler.Client().WatchAsync(KubeKinds.Job, "ns", cancellationToken: cancel.Token).ToListAsync().AsTask();

        await cancel.CancelAsync();

        await reading.Invoking(t => t.WaitAsync(TestWait.Bound)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Watch_SilentPastTimeoutSeconds_EndsLikeAServerClose()
    {
        var time = new ManualTimeProvider();
        var stream = new ChunkedStream();
        var handler = new FakeHttpHandler(_ => stream.Response());
        var client = handler.Client(new KubeClientOptions { TimeProvider = time, Retry = new KubeRetryOptions { MaxRetries = 0 } });
        await using var events = client.WatchAsync(KubeKinds.Job, "ns", new WatchOptions { TimeoutSeconds = 60 }, TestWait.Token()).GetAsyncEnumerator();
        stream.Write("""{"type":"ADDED","object":{"metadata":{"name":"a"}}}""" + "\n");
        (await events.MoveNextAsync()).Should().BeTrue();
        var next = events.MoveNextAsync().AsTask();

        await time.WaitForTimerDueInAsync(TimeSpan.FromSeconds(90));
        time.Advance(TimeSpan.FromSeconds(90));

        (await next.WaitAsync(TestWait.Bound)).Should().BeFalse("the stream ends quietly, as if the server had closed it");
    }

    /// <summary>Returns the given byte arrays one read at a time.</summary>
    private sealed class SplitBytesStream(params byte[][] parts) : MemoryStream
    {
        private int _next;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_next == parts.Length)
            {
                return ValueTask.FromResult(0);
            }
            var part = parts[_next++];
            part.CopyTo(buffer);
            return ValueTask.FromResult(part.Length);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
