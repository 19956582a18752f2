using System.Net;
using System.Threading.Channels;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Informers;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Informers;

public sealed class InformerTests : IAsyncDisposable
{
    private readonly ScriptedServer _server = new();
    private readonly ManualTimeProvider _time = new();
    private readonly HandlerLog _log = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running.WaitAsync(TestWait.Bound);
        }
        _stop.Dispose();
    }

    [Fact]
    public async Task Run_PagedInitialList_DeliversAddsThenWatchesFromListVersion()
    {
        _server.Lists.Enqueue(_ => List("3", "p2", Job("a", "1"), Job("b", "2")));
        _server.Lists.Enqueue(request => request.Query("continue") == "p2" ? List("3", null, Job("c", "3")) : throw new InvalidOperationException("expected page 2"));

        var informer = Start(new InformerOptions { PageSize = 2, Namespace = "ns", LabelSelector = "app=x" });
        await informer.WaitForSyncAsync(TestWait.Token());
        var watch = await _server.NextWatchAsync();

        informer.HasSynced.Should().BeTrue();
        _log.Events.Should().Equal("add a@1", "add b@2", "add c@3");
        _server.Requests.First().Query("limit").Should().Be("2");
        watch.Request.Query("resourceVersion").Should().Be("3");
        watch.Request.Query("allowWatchBookmarks").Should().Be("true");
        watch.Request.Query("labelSelector").Should().Be("app=x");
        informer.List().Select(j => j.Metadata.Name).Should().BeEquivalentTo("a", "b", "c");
        informer.Get("ns", "b")!.Metadata.ResourceVersion.Should().Be("2");
    }

    [Fact]
    public async Task Run_WatchEvents_UpdateCacheAndHandlers()
    {
        _server.Lists.Enqueue(_ => List("1", null, Job("a", "1")));
        var informer = Start();
        var watch = await _server.NextWatchAsync();

        watch.Stream.Write(Event("ADDED", Job("b", "2")) + Event("MODIFIED", Job("a", "3")) + Event("DELETED", Job("b", "4")));
        await _log.WaitForCountAsync(4);

        _log.Events.Should().Equal("add a@1", "add b@2", "update a@1->a@3", "delete b@4");
        informer.Get("ns", "b").Should().BeNull();
        informer.LastResourceVersion.Should().Be("4");
    }

    [Fact]
    public async Task Run_WithTransform_CacheAndHandlersSeeOnlyWhatItKeeps()
    {
        var withSpec = Job("a", "1") with { Spec = new JobSpec { BackoffLimit = 6 } };
        _server.Lists.Enqueue(_ => List("1", null, withSpec));
        var informer = Start(transform: job => job with { Spec = new JobSpec() });
        var watch = await _server.NextWatchAsync();

        watch.Stream.Write(Event("ADDED", Job("b", "2") with { Spec = new JobSpec { BackoffLimit = 3 } }));
        await _log.WaitForCountAsync(2);

        informer.List().Should().HaveCount(2).And.OnlyContain(j => j.Spec.BackoffLimit == null);
        informer.Get("ns", "a")!.Metadata.ResourceVersion.Should().Be("1", "metadata is kept");
    }

    [Fact]
    public async Task Run_WatchExpires_RelistDeliversOnlyDifferences()
    {
        _server.Lists.Enqueue(_ => List("3", null, Job("a", "1"), Job("b", "2"), Job("c", "3")));
        // After the 410: a unchanged since the watch delivered it, b changed, c deleted, d created meanwhile.
        _server.Lists.Enqueue(_ => List("6", null, Job("a", "4"), Job("b", "5"), Job("d", "6")));
        var informer = Start();
        var first = await _server.NextWatchAsync();

        first.Stream.Write(Event("MODIFIED", Job("a", "4")));
        first.Stream.Write("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","message":"too old resource version: 4 (5)","code":410}}""" + "\n");
        var second = await _server.NextWatchAsync();

        _log.Events.Should().Equal("add a@1", "add b@2", "add c@3", "update a@1->a@4", "update b@2->b@5", "add d@6", "delete c@3");
        second.Request.Query("resourceVersion").Should().Be("6");
        informer.List().Select(j => j.Metadata.Name).Should().BeEquivalentTo("a", "b", "d");
    }

    [Fact]
    public async Task Run_GoneWhenStartingWatch_Relists()
    {
        _server.Lists.Enqueue(_ => List("3", null, Job("a", "1")));
        _server.Lists.Enqueue(_ => List("8", null, Job("a", "7")));
        _server.WatchFailures.Enqueue(() => FakeHttpHandler.Status(410, "Expired", "too old resource version"));
        Start();

        var watch = await _server.NextWatchAsync();

        watch.Request.Query("resourceVersion").Should().Be("8");
        _log.Events.Should().Equal("add a@1", "update a@1->a@7");
    }

    [Fact]
    public async Task Run_StreamEndsAfterBookmark_ResumesFromBookmarkVersion()
    {
        _server.Lists.Enqueue(_ => List("3", null, Job("a", "1")));
        Start();
        var first = await _server.NextWatchAsync();

        first.Stream.Write("""{"type":"BOOKMARK","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"resourceVersion":"10"}}}""" + "\n");
        first.Stream.End();
        var second = await _server.NextWatchAsync();

        second.Request.Query("resourceVersion").Should().Be("10");
        _server.Requests.Count(r => r.Query("watch") != "true").Should().Be(1, "a closed stream resumes the watch without re-listing");
    }

    [Fact]
    public async Task Run_WatchConnectionFails_ReconnectsWithExponentialBackoff()
    {
        _server.Lists.Enqueue(_ => List("3", null, Job("a", "1")));
        _server.WatchFailures.Enqueue(() => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"));
        _server.WatchFailures.Enqueue(() => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"));
        Start(new InformerOptions { MinBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30) });

        await _time.WaitForTimerDueInAsync(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        await _time.WaitForTimerDueInAsync(TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromSeconds(2));
        var watch = await _server.NextWatchAsync();

        watch.Request.Query("resourceVersion").Should().Be("3");
        _server.Requests.Count(r => r.Query("watch") == "true").Should().Be(3);
        _log.Events.Should().Equal("add a@1");
    }

    [Fact]
    public async Task Run_ResyncPeriod_RedeliversCachedObjectsAsUpdates()
    {
        _server.Lists.Enqueue(_ => List("2", null, Job("a", "1"), Job("b", "2")));
        var informer = Start(new InformerOptions { ResyncPeriod = TimeSpan.FromSeconds(30) });
        await informer.WaitForSyncAsync(TestWait.Token());
        await _server.NextWatchAsync();

        _time.Advance(TimeSpan.FromSeconds(30));
        await _log.WaitForCountAsync(4);

        _log.Events.Skip(2).Should().BeEquivalentTo("update a@1->a@1", "update b@2->b@2");
    }

    [Fact]
    public async Task ListByIndex_LabelIndex_FollowsChanges()
    {
        _server.Lists.Enqueue(_ => List("2", null, Job("a", "1", run: "r1"), Job("b", "2", run: "r2")));
        var informer = new Informer<Job>(_server.Client, KubeKinds.Job, timeProvider: _time);
        informer.AddIndex("run", Informer<Job>.ByLabel(K8sFlowApi.Labels.DagRun));
        informer.AddHandler(_log.Handler);
        _running = informer.RunAsync(_stop.Token);
        var watch = await _server.NextWatchAsync();

        informer.ListByIndex("run", "r1").Select(j => j.Metadata.Name).Should().Equal("a");
        watch.Stream.Write(Event("MODIFIED", Job("b", "3", run: "r1")) + Event("DELETED", Job("a", "4", run: "r1")));
        await _log.WaitForCountAsync(4);

        informer.ListByIndex("run", "r1").Select(j => j.Metadata.Name).Should().Equal("b");
        informer.ListByIndex("run", "r2").Should().BeEmpty();
        informer.Invoking(i => i.ListByIndex("owner", "x")).Should().Throw<ArgumentException>().WithMessage("*no index 'owner'*run*");
    }

    [Fact]
    public async Task AddHandler_AfterSync_ReplaysAddsForCachedObjects()
    {
        _server.Lists.Enqueue(_ => List("2", null, Job("a", "1"), Job("b", "2")));
        var informer = Start();
        await informer.WaitForSyncAsync(TestWait.Token());
        var late = new HandlerLog();

        informer.AddHandler(late.Handler);

        late.Events.Should().BeEquivalentTo("add a@1", "add b@2");
    }

    [Fact]
    public async Task Run_HandlerThrows_OtherHandlersAndLaterEventsStillDelivered()
    {
        _server.Lists.Enqueue(_ => List("1", null, Job("a", "1")));
        var informer = new Informer<Job>(_server.Client, KubeKinds.Job, timeProvider: _time);
        informer.AddHandler(new InformerHandler<Job>(OnAdd: _ => throw new InvalidOperationException("handler bug")));
        informer.AddHandler(_log.Handler);
        _running = informer.RunAsync(_stop.Token);
        var watch = await _server.NextWatchAsync();

        watch.Stream.Write(Event("ADDED", Job("b", "2")));
        await _log.WaitForCountAsync(2);

        _log.Events.Should().Equal("add a@1", "add b@2");
    }

    private Informer<Job> Start(InformerOptions? options = null, Func<Job, Job>? transform = null)
    {
        var informer = new Informer<Job>(_server.Client, KubeKinds.Job, options, _time, transform: transform);
        informer.AddHandler(_log.Handler);
        _running = informer.RunAsync(_stop.Token);
        return informer;
    }

    private static Job Job(string name, string resourceVersion, string? run = null) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = "ns",
            ResourceVersion = resourceVersion,
            Labels = run is null ? null : new Dictionary<string, string> { [K8sFlowApi.Labels.DagRun] = run },
        },
    };

    private static HttpResponseMessage List(string resourceVersion, string? continueToken, params Job[] items) =>
        FakeHttpHandler.Json(HttpStatusCode.OK, System.Text.Json.JsonSerializer.Serialize(
            new KubeList<Job> { Metadata = new ListMeta { ResourceVersion = resourceVersion, Continue = continueToken }, Items = [.. items] }, KubeJson.Options));

    private static string Event(string type, Job job) =>
        System.Text.Json.JsonSerializer.Serialize(new WatchEvent<Job>(Enum.Parse<WatchEventType>(type, ignoreCase: true), job), KubeJson.Options) + "\n";

    /// <summary>Answers LISTs from a queue and WATCHes with streams the test writes; hands each watch to the test.</summary>
    private sealed class ScriptedServer
    {
        private readonly FakeHttpHandler _handler;
        private readonly Channel<(RecordedRequest Request, ChunkedStream Stream)> _watches = Channel.CreateUnbounded<(RecordedRequest, ChunkedStream)>();

        public ScriptedServer()
        {
            _handler = new FakeHttpHandler((request, _) => Task.FromResult(Respond(request)));
            Client = _handler.Client();
        }

        public KubeClient Client { get; }
        public Queue<Func<RecordedRequest, HttpResponseMessage>> Lists { get; } = new();
        public Queue<Func<HttpResponseMessage>> WatchFailures { get; } = new();
        public IReadOnlyList<RecordedRequest> Requests => _handler.Requests;

        public async Task<(RecordedRequest Request, ChunkedStream Stream)> NextWatchAsync() =>
            await _watches.Reader.ReadAsync(TestWait.Token());

        private HttpResponseMessage Respond(RecordedRequest request)
        {
            if (request.Query("watch") != "true")
            {
                lock (Lists)
                {
                    return Lists.Dequeue()(request);
                }
            }
            lock (WatchFailures)
            {
                if (WatchFailures.TryDequeue(out var failure))
                {
                    return failure();
                }
            }
            var stream = new ChunkedStream();
            _watches.Writer.TryWrite((request, stream));
            return stream.Response();
        }
    }

    private sealed class HandlerLog
    {
        private readonly List<string> _events = [];
        private readonly Lock _lock = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HandlerLog() =>
            Handler = new InformerHandler<Job>(
                OnAdd: job => Add($"add {Describe(job)}"),
                OnUpdate: (old, current) => Add($"update {Describe(old)}->{Describe(current)}"),
                OnDelete: job => Add($"delete {Describe(job)}"));

        public InformerHandler<Job> Handler { get; }

        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_lock)
                {
                    return [.. _events];
                }
            }
        }

        public async Task WaitForCountAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TestWait.Bound);
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_events.Count >= count)
                    {
                        return;
                    }
                    changed = _changed.Task;
                }
                await changed.WaitAsync(timeout.Token);
            }
        }

        private static string Describe(Job job) => $"{job.Metadata.Name}@{job.Metadata.ResourceVersion}";

        private void Add(string entry)
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                _events.Add(entry);
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        }
    }
}
