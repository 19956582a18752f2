using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Kubernetes.Tests.Fakes;

namespace K8sFlow.Kubernetes.Tests.Events;

public class EventRecorderTests
{
    private readonly FakeObjectStore _store = new();
    private readonly ManualTimeProvider _time = new();

    private readonly DagRun _run = new() { Metadata = new ObjectMeta { Name = "run1", Namespace = "ns", Uid = "uid-1" } };

    [Fact]
    public async Task Record_First_CreatesCoreEventNamedAfterObjectAndTime()
    {
        var recorder = Recorder();

        var recorded = await recorder.RecordAsync(_run, EventTypes.Normal, "TaskStarted", "task extract started", action: "Start");

        var nanos = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        recorded!.Metadata.Name.Should().Be($"run1.{nanos:x}");
        recorded.Metadata.Namespace.Should().Be("ns");
        recorded.InvolvedObject.Should().Be(new ObjectReference { ApiVersion = "k8sflow.io/v1alpha1", Kind = "DagRun", Name = "run1", Namespace = "ns", Uid = "uid-1" });
        recorded.Source.Should().Be(new EventSource { Component = "k8sflow-operator", Host = "operator-0" });
        (recorded.ReportingComponent, recorded.ReportingInstance, recorded.Action).Should().Be(("k8sflow-operator", "operator-0", "Start"));
        (recorded.Count, recorded.FirstTimestamp, recorded.LastTimestamp).Should().Be((1, _time.GetUtcNow(), _time.GetUtcNow()));
        _store.Paths.Should().ContainSingle().Which.Should().Be($"/api/v1/namespaces/ns/events/run1.{nanos:x}");
    }

    [Fact]
    public async Task Record_Repeats_PatchCountAndLastTimestampOfOneEvent()
    {
        var (recorder, handler) = RecorderWithHandler();
        var first = _time.GetUtcNow();

        await recorder.RecordAsync(_run, EventTypes.Warning, "TaskFailed", "exit code 1");
        _time.Advance(TimeSpan.FromSeconds(30));
        await recorder.RecordAsync(_run, EventTypes.Warning, "TaskFailed", "exit code 1");
        _time.Advance(TimeSpan.FromSeconds(30));
        var third = await recorder.RecordAsync(_run, EventTypes.Warning, "TaskFailed", "exit code 1");

        handler.Requests.Select(r => r.Method.Method).Should().Equal("POST", "PATCH", "PATCH");
        handler.Requests[2].ContentType.Should().Be("application/merge-patch+json");
        handler.Requests[2].Body.Should().Be("""{"count":3,"lastTimestamp":"2026-01-01T00:01:00Z"}""");
        _store.Paths.Should().ContainSingle();
        third!.Count.Should().Be(3);
        third.FirstTimestamp.Should().Be(first);
        third.LastTimestamp.Should().Be(first + TimeSpan.FromMinutes(1));
    }

    [Theory]
    [InlineData(EventTypes.Normal, "TaskFailed", "exit code 1")]
    [InlineData(EventTypes.Warning, "TaskRetrying", "exit code 1")]
    [InlineData(EventTypes.Warning, "TaskFailed", "exit code 2")]
    public async Task Record_DifferentTypeReasonOrMessage_CreatesSeparateEvent(string type, string reason, string message)
    {
        var recorder = Recorder();

        await recorder.RecordAsync(_run, EventTypes.Warning, "TaskFailed", "exit code 1");
        await recorder.RecordAsync(_run, type, reason, message);

        _store.Paths.Should().HaveCount(2);
    }

    [Fact]
    public async Task Record_SameEventForAnotherObject_CreatesSeparateEvent()
    {
        var recorder = Recorder();

        await recorder.RecordAsync(_run, EventTypes.Normal, "Started", "started");
        await recorder.RecordAsync(_run with { Metadata = _run.Metadata with { Name = "run2", Uid = "uid-2" } }, EventTypes.Normal, "Started", "started");

        _store.Paths.Should().HaveCount(2);
    }

    [Fact]
    public async Task Record_CacheFull_ForgetsLeastRecentlyUsed()
    {
        var recorder = Recorder(maxCached: 2);

        await recorder.RecordAsync(_run, EventTypes.Normal, "A", "a");
        await recorder.RecordAsync(_run, EventTypes.Normal, "B", "b");
        await recorder.RecordAsync(_run, EventTypes.Normal, "A", "a");
        await recorder.RecordAsync(_run, EventTypes.Normal, "C", "c");
        await recorder.RecordAsync(_run, EventTypes.Normal, "B", "b");

        recorder.CachedCount.Should().Be(2);
        _store.Paths.Should().HaveCount(4, "A was aggregated, B was forgotten when C arrived and created again");
    }

    [Fact]
    public async Task Record_EventExpiredOnServer_CreatesNewOne()
    {
        var (recorder, handler) = RecorderWithHandler();
        var first = await recorder.RecordAsync(_run, EventTypes.Normal, "Started", "started");
        await _store.Client().DeleteAsync(KubeKinds.Event, "ns", first!.Metadata.Name!);
        _time.Advance(TimeSpan.FromSeconds(1));

        var second = await recorder.RecordAsync(_run, EventTypes.Normal, "Started", "started");

        handler.Requests.Select(r => r.Method.Method).Should().Equal("POST", "PATCH", "POST");
        second!.Count.Should().Be(1);
        second.Metadata.Name.Should().NotBe(first.Metadata.Name);
    }

    [Fact]
    public async Task Record_ClusterScopedObject_GoesToDefaultNamespace()
    {
        var recorder = Recorder();

        var recorded = await recorder.RecordAsync(new Namespace { Metadata = new ObjectMeta { Name = "team-a" } }, EventTypes.Normal, "Seen", "seen");

        recorded!.Metadata.Namespace.Should().Be("default");
        recorded.InvolvedObject.Kind.Should().Be("Namespace");
    }

    [Fact]
    public async Task Record_SameInstant_GetsDistinctNames()
    {
        var recorder = Recorder();

        var a = await recorder.RecordAsync(_run, EventTypes.Normal, "A", "a");
        var b = await recorder.RecordAsync(_run, EventTypes.Normal, "B", "b");

        a!.Metadata.Name.Should().NotBe(b!.Metadata.Name);
    }

    [Fact]
    public async Task Record_ApiRefuses_ReturnsNullWithoutThrowing()
    {
        var client = _store.Client(_ => FakeHttpHandler.Status(403, "Forbidden", "events is forbidden"));
        var recorder = new EventRecorder(client, new EventRecorderOptions { Component = "k8sflow-operator" }, _time);

        var recorded = await recorder.RecordAsync(_run, EventTypes.Normal, "Started", "started");

        recorded.Should().BeNull();
        recorder.CachedCount.Should().Be(0);
    }

    private EventRecorder Recorder(int maxCached = 100) => RecorderWithHandler(maxCached).Recorder;

    private (EventRecorder Recorder, FakeHttpHandler Handler) RecorderWithHandler(int maxCached = 100)
    {
        var handler = _store.Handler();
        var recorder = new EventRecorder(handler.Client(),
            new EventRecorderOptions { Component = "k8sflow-operator", Instance = "operator-0", MaxCachedEvents = maxCached }, _time);
        return (recorder, handler);
    }
}
