using System.Net;
using System.Net.Http.Headers;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Client;

public class RetryTests
{
    private const string JobJson = """{"metadata":{"name":"j1"}}""";

    private static KubeClientOptions FastRetries(IKubeRequestObserver? observer = null) => new()
    {
        Retry = new KubeRetryOptions { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2) },
        RequestObserver = observer,
    };

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Get_TransientStatus_IsRetriedUntilSuccess(int code)
    {
        var calls = 0;
        var handler = new FakeHttpHandler(_ => ++calls < 3 ? FakeHttpHandler.Status(code, "Transient", "try again") : FakeHttpHandler.Json(HttpStatusCode.OK, JobJson));

        var job = await handler.Client(FastRetries()).GetAsync(KubeKinds.Job, "ns", "j1");

        job.Metadata.Name.Should().Be("j1");
        handler.Requests.Should().HaveCount(3);
    }

    [Fact]
    public async Task Get_PermanentError_IsNotRetried()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(404, "NotFound", "no"));

        await handler.Client(FastRetries()).Invoking(c => c.GetAsync(KubeKinds.Job, "ns", "j1")).Should().ThrowAsync<KubeApiException>();

        handler.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task Get_RetriesExhausted_ThrowsLastStatus()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(503, "ServiceUnavailable", "down"));

        var error = (await handler.Client(FastRetries()).Invoking(c => c.GetAsync(KubeKinds.Job, "ns", "j1")).Should().ThrowAsync<KubeApiException>()).Which;

        error.Code.Should().Be(503);
        handler.Requests.Should().HaveCount(4);
    }

    [Fact]
    public async Task Get_ConnectionFailure_IsRetried()
    {
        var calls = 0;
        var handler = new FakeHttpHandler(_ => ++calls == 1
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
            : FakeHttpHandler.Json(HttpStatusCode.OK, JobJson));

        await handler.Client(FastRetries()).GetAsync(KubeKinds.Job, "ns", "j1");

        handler.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task Create_ServerError_IsNotRetried_SoNothingIsCreatedTwice()
    {
        var handler = new FakeHttpHandler(_ => FakeHttpHandler.Status(503, "ServiceUnavailable", "down"));
        var job = new Job { Metadata = new ObjectMeta { Name = "j1", Namespace = "ns" } };

        await handler.Client(FastRetries()).Invoking(c => c.CreateAsync(KubeKinds.Job, job)).Should().ThrowAsync<KubeApiException>();

        handler.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task Create_ConnectionRefusedBeforeSend_IsRetried()
    {
        var calls = 0;
        var handler = new FakeHttpHandler(request => ++calls == 1
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
            : FakeHttpHandler.Json(HttpStatusCode.Created, request.Body!));
        var job = new Job { Metadata = new ObjectMeta { Name = "j1", Namespace = "ns" } };

        await handler.Client(FastRetries()).CreateAsync(KubeKinds.Job, job);

        handler.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task Create_ConnectionDroppedAfterSend_IsNotRetried()
    {
        var handler = new FakeHttpHandler(_ => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely"));
        var job = new Job { Metadata = new ObjectMeta { Name = "j1", Namespace = "ns" } };

        await handler.Client(FastRetries()).Invoking(c => c.CreateAsync(KubeKinds.Job, job)).Should().ThrowAsync<HttpRequestException>();

        handler.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task TooManyRequests_WaitsForRetryAfter()
    {
        var time = new ManualTimeProvider();
        var calls = 0;
        var handler = new FakeHttpHandler(_ =>
        {
            if (++calls > 1)
            {
                return FakeHttpHandler.Json(HttpStatusCode.OK, JobJson);
            }
            var throttled = FakeHttpHandler.Status(429, "TooManyRequests", "slow down");
            throttled.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
            return throttled;
        });
        var counter = new RecordingObserver();
        var client = handler.Client(new KubeClientOptions
        {
            Retry = new KubeRetryOptions { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1) },
            TimeProvider = time,
            RequestObserver = counter,
        });

        var get = client.GetAsync(KubeKinds.Job, "ns", "j1");
        await time.WaitForTimerDueInAsync(TimeSpan.FromSeconds(7));
        handler.Requests.Should().ContainSingle();
        time.Advance(TimeSpan.FromSeconds(7));
        await get.WaitAsync(TestWait.Bound);

        counter.Records.Select(r => (r.StatusCode, r.Attempt)).Should().Equal((429, 1), (200, 2));
    }

    private sealed class RecordingObserver : IKubeRequestObserver
    {
        private readonly List<KubeRequestRecord> _records = [];

        public IReadOnlyList<KubeRequestRecord> Records
        {
            get
            {
                lock (_records)
                {
                    return [.. _records];
                }
            }
        }

        public void OnRequest(KubeRequestRecord request)
        {
            lock (_records)
            {
                _records.Add(request);
            }
        }
    }
}
