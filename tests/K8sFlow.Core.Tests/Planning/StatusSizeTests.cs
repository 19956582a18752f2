using System.Text.Json;
using K8sFlow.Core.Api;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

/// <summary>A DagRun's status is one etcd object (at most 1.5 MiB): large runs must stay well below that.</summary>
public class StatusSizeTests
{
    private const int KiB = 1024;

    private static int SerializedSize(DagRunStatus status) => JsonSerializer.SerializeToUtf8Bytes(status, K8sFlowJson.Options).Length;

    [Fact]
    public void Status_TenThousandPendingTasks_Under256KiB()
    {
        var fan = Enumerable.Range(0, 9998).Select(i => $"w{i}").ToArray();
        var h = new PlanHarness(Dag([Task("root"), .. fan.Select(w => Task(w, "root")), Task("join", fan)])) { MayStart = false };

        h.Step();

        h.Last.Status.Tasks.Should().HaveCount(10_000).And.OnlyContain(t => t.State == TaskState.None);
        SerializedSize(h.Last.Status).Should().BeLessThan(256 * KiB);
    }

    [Fact]
    public void TaskStatus_PendingTask_WritesOnlyItsNameAndReadsBackAsNoneAtTryZero()
    {
        var json = JsonSerializer.Serialize(new TaskInstanceStatus { Name = "a", State = TaskState.None, TryNumber = 0 }, K8sFlowJson.Options);

        json.Should().Be("{\"name\":\"a\"}");
        JsonSerializer.Deserialize<TaskInstanceStatus>(json, K8sFlowJson.Options)
            .Should().Be(new TaskInstanceStatus { Name = "a", State = TaskState.None, TryNumber = 0 });
    }

    [Fact]
    public void TaskStatus_StartedTask_WritesStateAndTry()
    {
        var json = JsonSerializer.Serialize(new TaskInstanceStatus { Name = "a", State = TaskState.Queued, TryNumber = 1 }, K8sFlowJson.Options);

        json.Should().Be("{\"name\":\"a\",\"state\":\"queued\",\"tryNumber\":1}");
    }
}
