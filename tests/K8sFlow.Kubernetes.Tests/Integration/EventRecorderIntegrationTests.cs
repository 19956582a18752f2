using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Events;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>Events as <c>kubectl describe</c> will list them, written to the local cluster.</summary>
public sealed class EventRecorderIntegrationTests
{
    [Fact]
    public async Task SameEventTwice_IsOneEventObject_WhoseCountGoesFromOneToTwo()
    {
        await using var cluster = await LiveCluster.StartAsync();
        var regarding = await cluster.Client.CreateAsync(KubeKinds.ConfigMap,
            new ConfigMap { Metadata = new ObjectMeta { Name = "subject", Namespace = "default" } }, cancellationToken: Live.Token());
        var recorder = new EventRecorder(cluster.Client, new EventRecorderOptions { Component = "k8sflow-test", Instance = "test-pod" });

        var first = await recorder.RecordAsync(regarding, EventTypes.Warning, "TaskFailed", "task hello failed", cancellationToken: Live.Token());
        var second = await recorder.RecordAsync(regarding, EventTypes.Warning, "TaskFailed", "task hello failed", cancellationToken: Live.Token());
        var other = await recorder.RecordAsync(regarding, EventTypes.Normal, "TaskSucceeded", "task hello succeeded", cancellationToken: Live.Token());
        var stored = await cluster.Client.ListAsync(KubeKinds.Event, "default",
            new ListOptions { FieldSelector = $"involvedObject.name=subject,reason=TaskFailed" }, Live.Token());

        first!.Count.Should().Be(1);
        second!.Count.Should().Be(2);
        second.Metadata.Name.Should().Be(first.Metadata.Name);
        other!.Metadata.Name.Should().NotBe(first.Metadata.Name, "a different reason is a different event");
        var aggregated = stored.Items.Should().ContainSingle().Subject;
        aggregated.Count.Should().Be(2);
        aggregated.InvolvedObject.Uid.Should().Be(regarding.Metadata.Uid);
        aggregated.InvolvedObject.Kind.Should().Be("ConfigMap");
        aggregated.Source!.Component.Should().Be("k8sflow-test");
        // At the second precision Kubernetes keeps for these timestamps (the local cluster stores what it is sent).
        aggregated.LastTimestamp!.Value.ToUnixTimeSeconds().Should().BeGreaterThanOrEqualTo(aggregated.FirstTimestamp!.Value.ToUnixTimeSeconds());
    }
}
