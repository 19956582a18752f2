using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using static K8sFlow.Core.Tests.Planning.Specs;

namespace K8sFlow.Core.Tests.Planning;

public class BranchAndOutputTests
{
    // check -> {register, notify} -> report: the ML pipeline's accuracy gate.
    private static PlanHarness Pipeline(string joinRule)
    {
        var h = new PlanHarness(Dag(
            Task("check").Branch(),
            Task("register", "check"),
            Task("notify", "check"),
            Task("report", "register", "notify").Rule(joinRule)));
        h.Step();
        return h;
    }

    [Fact]
    public void Plan_BranchSkipsUnchosen_NoneFailedMinOneSuccessJoinRuns()
    {
        var h = Pipeline("none_failed_min_one_success");

        h.Complete("check", """{"branch": "register"}""");

        h.State("register").Should().Be(TaskState.Queued);
        h.Task("notify").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Skipped && t.Reason == "branch check chose register");
        h.Task("check").Outputs.Should().Equal(new Dictionary<string, string> { ["branch"] = "register" });
        h.Complete("register");
        h.State("report").Should().Be(TaskState.Queued);
        h.Complete("report");
        h.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public void Plan_BranchSkipsUnchosen_AllSuccessJoinSkipped()
    {
        var h = Pipeline("all_success");
        h.Complete("check", """{"branch": "register"}""");

        h.Complete("register");

        h.Task("report").Should().Match<TaskInstanceStatus>(t =>
            t.State == TaskState.Skipped && t.Reason == "trigger rule all_success: upstream notify (skipped)");
        h.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public void Plan_BranchChoosesList_AllChosenRun()
    {
        var h = Pipeline("none_failed_min_one_success");

        h.Complete("check", """{"branch": ["register", "notify"]}""");

        h.State("register").Should().Be(TaskState.Queued);
        h.State("notify").Should().Be(TaskState.Queued);
    }

    [Theory]
    [InlineData("""{"branch": null}""")]
    [InlineData("""{"branch": []}""")]
    public void Plan_BranchChoosesNothing_AllDirectDownstreamSkipped(string output)
    {
        var h = Pipeline("none_failed_min_one_success");

        h.Complete("check", output);

        h.Task("register").Reason.Should().Be("branch check chose no task");
        h.State("notify").Should().Be(TaskState.Skipped);
        h.State("report").Should().Be(TaskState.Skipped, "none_failed_min_one_success skips when every upstream skipped");
        h.Phase.Should().Be(RunPhase.Succeeded);
    }

    [Fact]
    public void Plan_BranchDirectDownstreamThatIsAlsoDownstreamOfChosen_NotSkipped()
    {
        // branch -> {a, b, c}; a -> c: c is downstream of the chosen a, so the branch leaves it to its trigger rule.
        var h = new PlanHarness(Dag(Task("branch").Branch(), Task("a", "branch"), Task("b", "branch"), Task("c", "branch", "a")));
        h.Step();

        h.Complete("branch", """{"branch": "a"}""");

        h.State("b").Should().Be(TaskState.Skipped);
        h.Task("c").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.None && t.Reason == "waiting for upstream: a");
        h.Complete("a");
        h.State("c").Should().Be(TaskState.Queued);
    }

    [Fact]
    public void Plan_BranchSkip_IgnoresTheDownstreamTriggerRule()
    {
        var h = new PlanHarness(Dag(Task("branch").Branch(), Task("a", "branch"), Task("b", "branch").Rule("all_done")));
        h.Step();

        h.Complete("branch", """{"branch": "a"}""");

        h.State("b").Should().Be(TaskState.Skipped);
    }

    [Theory]
    [InlineData("""{"branch": "report"}""", "invalid branch output: chose 'report', not a direct downstream task; allowed: register, notify")]
    [InlineData("""{"branch": ["register", 3]}""", "invalid branch output: \"branch\" must list task names as strings;")]
    [InlineData("""not json""", "invalid branch output: output is not valid JSON")]
    [InlineData("""["register"]""", "invalid branch output: output is a JSON array; expected a JSON object;")]
    [InlineData("""{"choice": "register"}""", "invalid branch output: a branch task must write its choice to $K8SFLOW_OUTPUT;")]
    [InlineData(null, "invalid branch output: a branch task must write its choice to $K8SFLOW_OUTPUT;")]
    public void Plan_BranchOutputInvalid_BranchTaskFails(string? output, string message)
    {
        var h = Pipeline("none_failed_min_one_success");

        h.Complete("check", output);

        h.Task("check").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Failed && t.Message!.StartsWith(message));
        h.State("register").Should().Be(TaskState.UpstreamFailed);
        h.Phase.Should().Be(RunPhase.Failed);
    }

    [Fact]
    public void Plan_BranchOutputInvalid_RetriedLikeAnyFailure()
    {
        var h = new PlanHarness(Dag(Task("check").Branch() with { Retries = 1 }, Task("a", "check")));
        h.Step();

        h.Complete("check", """{"branch": "nope"}""");

        h.State("check").Should().Be(TaskState.UpForRetry);
    }

    [Fact]
    public void Plan_SucceededOutput_ValuesAsJsonTextStringsUnquoted()
    {
        var h = new PlanHarness(Dag(Task("a")));
        h.Step();

        h.Complete("a", """{"rows": 178, "table": "bronze", "ok": true, "meta": {"n": [1, 2]}, "none": null, "name": "é"}""");

        h.Task("a").Outputs.Should().Equal(new Dictionary<string, string>
        {
            ["rows"] = "178",
            ["table"] = "bronze",
            ["ok"] = "true",
            ["meta"] = """{"n":[1,2]}""",
            ["none"] = "null",
            ["name"] = "é",
        });
        h.Task("a").Message.Should().BeNull();
    }

    [Theory]
    [InlineData("42", "outputs ignored: output is a JSON number; expected a JSON object")]
    [InlineData("{\"a\": 1, \"a\": 2}", "outputs ignored: output is not valid JSON")]
    [InlineData("{oops", "outputs ignored: output is not valid JSON")]
    public void Plan_OutputNotAJsonObject_IgnoredTaskStillSucceeds(string output, string message)
    {
        var h = new PlanHarness(Dag(Task("a")));
        h.Step();

        h.Complete("a", output);

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Success && t.Outputs == null && t.Message!.StartsWith(message));
    }

    [Fact]
    public void Plan_NewTry_ClearsOutputs()
    {
        // A cleared task (spec §12) keeps its old outputs in status until its next try starts.
        var h = new PlanHarness(Dag(Task("a")))
        {
            Status = new DagRunStatus
            {
                Phase = RunPhase.Running,
                StartTime = T0,
                Tasks = [new TaskInstanceStatus { Name = "a", State = TaskState.None, TryNumber = 1, Outputs = new() { ["rows"] = "1" } }],
            },
        };

        h.Step();

        h.Task("a").Should().Match<TaskInstanceStatus>(t => t.State == TaskState.Queued && t.TryNumber == 2 && t.Outputs == null);
    }

    [Fact]
    public void ChosenFromStatus_TaskNamedNull_StillChoosable()
    {
        TaskOutputs.ChosenFromStatus(new Dictionary<string, string> { ["branch"] = "null" }, ["null", "b"])
            .Should().BeEquivalentTo(["null"]);
        TaskOutputs.ChosenFromStatus(new Dictionary<string, string> { ["branch"] = "null" }, ["a", "b"])
            .Should().BeEmpty();
    }
}
