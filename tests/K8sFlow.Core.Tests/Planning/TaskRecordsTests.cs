using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

/// <summary>Compact task records: a run of any size stays a small object, and nothing the planner or a user needs is lost.</summary>
public class TaskRecordsTests
{
    private const int KiB = 1024;
    private const string RunName = PlanHarness.RunName;

    private static DagSpec Independent(int count) => Dag([.. Enumerable.Range(0, count).Select(i => Task($"task-{i:00000}"))]);

    private static TaskInstanceStatus Finished(string name, TaskState state = TaskState.Success) => new()
    {
        Name = name,
        State = state,
        TryNumber = state == TaskState.Success ? 1 : 0,
        Job = state == TaskState.Success ? Names.TaskJobName(RunName, name, 1) : null,
        StartTime = T0,
        EndTime = T0.AddSeconds(3),
        ReadyTime = T0,
    };

    private static DagRunStatus RoundTrip(DagRunStatus status) =>
        JsonSerializer.Deserialize<DagRunStatus>(JsonSerializer.Serialize(status, K8sFlowJson.Options), K8sFlowJson.Options)!;

    private static int Size(DagRunStatus status) => JsonSerializer.SerializeToUtf8Bytes(status, K8sFlowJson.Options).Length;

    [Fact]
    public void Compact_SmallRun_KeepsEveryFullRecord()
    {
        var spec = Independent(9);
        var status = new DagRunStatus { Tasks = [.. spec.Tasks.Select(t => Finished(t.Name))] };

        TaskRecords.Compact(status, spec, keepCompact: false).Should().BeSameAs(status);
    }

    [Fact]
    public void Compact_TenThousandFinishedTasks_StatusUnder256KiB_AndExpandsToTheSameStates()
    {
        var spec = Independent(10_000);
        var states = spec.Tasks.Select((t, i) => i % 100 == 7 ? TaskState.Skipped : TaskState.Success).ToList();
        var status = new DagRunStatus { Phase = RunPhase.Succeeded, Tasks = [.. spec.Tasks.Select((t, i) => Finished(t.Name, states[i]))] };
        Size(status).Should().BeGreaterThan(1024 * KiB, "full records of 10,000 tasks are megabytes");

        var written = RoundTrip(TaskRecords.Compact(status, spec, keepCompact: false));

        Size(written).Should().BeLessThan(4 * KiB);
        written.Tasks.Should().BeEmpty();
        written.CompactTasks![TaskState.Skipped].Should().StartWith("7,107,207,");
        var read = TaskRecords.Expand(written, spec, RunName);
        read.Tasks!.Select(t => (t.Name, t.State, t.TryNumber, t.Job)).Should().Equal(
            status.Tasks!.Select(t => (t.Name, t.State, t.TryNumber, t.Job)));
        read.CompactTasks.Should().BeNull();
    }

    [Fact]
    public void Compact_RecordsWithDetail_StayFull()
    {
        var spec = Independent(4000);
        var failed = Finished("task-00001") with { State = TaskState.Failed, Message = "exit code 3", ExitCode = 3 };
        var retried = Finished("task-00002") with { TryNumber = 2 };
        var withOutputs = Finished("task-00003") with { Outputs = new() { ["rows"] = "178" } };
        var cleared = Finished("task-00004") with { TryNumber = 1, ClearedTries = 1 };
        var retrying = new TaskInstanceStatus { Name = "task-00005", State = TaskState.UpForRetry, TryNumber = 1, NextTryTime = T0 };
        var special = new[] { failed, retried, withOutputs, cleared, retrying };
        var status = new DagRunStatus
        {
            Tasks = [.. spec.Tasks.Select(t => special.FirstOrDefault(s => s.Name == t.Name) ?? Finished(t.Name))],
        };

        var written = RoundTrip(TaskRecords.Compact(status, spec, keepCompact: false));

        written.Tasks.Should().BeEquivalentTo(special);
        var read = TaskRecords.Expand(written, spec, RunName);
        read.Tasks!.Where(t => special.Any(s => s.Name == t.Name)).Should().BeEquivalentTo(special);
        read.Tasks!.Should().HaveCount(4000);
    }

    [Fact]
    public void Compact_OnceCompact_StaysCompactEvenWhenSmall()
    {
        var spec = Independent(3);
        var status = new DagRunStatus { Tasks = [Finished("task-00000"), new TaskInstanceStatus { Name = "task-00001", State = TaskState.Running, TryNumber = 1 }] };

        var written = TaskRecords.Compact(status, spec, keepCompact: true);

        written.Tasks.Should().BeEmpty("the form must not flip back and forth between writes");
        written.CompactTasks.Should().Equal(new Dictionary<TaskState, string> { [TaskState.Running] = "1", [TaskState.Success] = "0" });
        TaskRecords.Expand(written, spec, RunName).Tasks!.Select(t => (t.Name, t.State, t.TryNumber)).Should().Equal(
            ("task-00000", TaskState.Success, 1), ("task-00001", TaskState.Running, 1), ("task-00002", TaskState.None, 0));
    }

    [Fact]
    public void Expand_WithoutCompactRecords_IsTheStatusAsWritten()
    {
        var status = new DagRunStatus { Tasks = [Finished("a")] };

        TaskRecords.Expand(status, Dag(Task("a"), Task("b")), RunName).Should().BeSameAs(status);
    }

    [Fact]
    public void Expand_RecordOfTaskNoLongerInSpec_IsKept()
    {
        var status = new DagRunStatus
        {
            Tasks = [new TaskInstanceStatus { Name = "gone", State = TaskState.Removed }],
            CompactTasks = new() { [TaskState.Success] = "0" },
        };

        TaskRecords.Expand(status, Dag(Task("a")), RunName).Tasks!.Select(t => t.Name).Should().Equal("a", "gone");
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 5, 7, 8 }, "0-2,5,7-8")]
    [InlineData(new[] { 4 }, "4")]
    [InlineData(new int[0], "")]
    [InlineData(new[] { 9, 3, 2 }, "2-3,9")]
    public void Ranges_FormatAndParseBack(int[] indexes, string text)
    {
        TaskRecords.FormatRanges(indexes).Should().Be(text);
        TaskRecords.ParseRanges(text).Should().Equal(indexes.Order());
    }

    [Theory]
    [InlineData("3-1,x,-2,5", new[] { 5 })]
    [InlineData(" 1 , 2-3 ", new[] { 1, 2, 3 })]
    public void Ranges_MalformedParts_AreSkipped(string text, int[] expected) =>
        TaskRecords.ParseRanges(text).Should().Equal(expected);

    [Fact]
    public void Planner_RunOfThreeThousandTasks_ThroughCompactWrites_SucceedsAndStaysSmall()
    {
        // Every write goes through the controller's path: compact, JSON, expand, plan again.
        var spec = Dag([Task("root"), .. Enumerable.Range(0, 2998).Select(i => Task($"w{i}", "root")), Task("join", [.. Enumerable.Range(0, 2998).Select(i => $"w{i}")])])
            with
        { MaxActiveTasksPerRun = 500 };
        var h = new PlanHarness(spec);
        DagRunStatus? written = null;
        var largest = 0;
        for (var round = 0; round < 20 && written?.Phase is not RunPhase.Succeeded; round++)
        {
            h.Step();
            written = RoundTrip(TaskRecords.Compact(h.Last.Status, spec, keepCompact: written?.CompactTasks is not null));
            largest = Math.Max(largest, Size(written));
            h.Status = TaskRecords.Expand(written, spec, PlanHarness.RunName);
            foreach (var job in h.Jobs.Where(j => j.IsLive).ToList())
            {
                h.Succeed(job.TaskName);
            }
        }

        h.Phase.Should().Be(RunPhase.Succeeded);
        h.Last.Status.Tasks.Should().HaveCount(3000).And.OnlyContain(t => t.State == TaskState.Success && t.TryNumber == 1);
        h.Recreated.Should().BeEmpty("no Job is created twice across compact writes");
        largest.Should().BeLessThan(TaskRecords.FullRecordsBudgetBytes + 16 * KiB);
    }
}
