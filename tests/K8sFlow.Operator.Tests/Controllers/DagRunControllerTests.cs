using System.Text.Json.Nodes;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.Operator.Controllers;
using K8sFlow.Operator.Jobs;
using K8sFlow.Operator.Tests.Fakes;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.Tests.Controllers;

/// <summary>The DagRun controller end to end: the operator in-process on an in-memory API with a fake job runner.</summary>
public class DagRunControllerTests
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Run_ThreeTaskChain_RunsToSucceeded_OneJobPerTask()
    {
        await using var f = await OperatorFixture.StartAsync((task, _) =>
            new AttemptOutcome.Succeed(task == "extract" ? """{"rows": 178}""" : null));
        var tasks = Chain("extract", "transform", "load");
        tasks[1] = tasks[1] with { Args = ["--rows", "{{ tasks.extract.outputs.rows }}", "--date", "{{ ds }}"] };
        var dag = f.Apply(Dag("etl", tasks));
        f.Create(Run("etl-1", "etl"));

        var run = await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        var status = run.Status!;
        status.Progress.Should().Be("3/3");
        status.Tasks!.Select(t => (t.Name, t.State, t.TryNumber)).Should().Equal(
            ("extract", TaskState.Success, 1), ("transform", TaskState.Success, 1), ("load", TaskState.Success, 1));
        status.Tasks![0].Outputs.Should().Equal(new Dictionary<string, string> { ["rows"] = "178" });
        status.RunId.Should().Be(Names.RunId("manual", T0));
        status.LogicalDate.Should().Be(T0);
        status.DagSpecConfigMap.Should().Be("etl-1-dag-spec");
        var pinned = f.Kube.Find(KubeKinds.ConfigMap, Ns, "etl-1-dag-spec")!;
        PinnedSpecs.Parse(pinned).Spec.Should().BeEquivalentTo(dag.Spec, "the run pins the Dag spec it started with");
        pinned.Immutable.Should().BeTrue();
        pinned.Metadata.OwnerReferences.Should().ContainSingle(o => o.Name == "etl-1" && o.Controller == true);
        status.DagGeneration.Should().Be(1);
        status.StartTime.Should().NotBeNull();
        status.EndTime.Should().NotBeNull();
        status.ObservedGeneration.Should().Be(1);
        f.CreatedJobs.Should().Equal("etl-1-extract-1", "etl-1-transform-1", "etl-1-load-1");
        var transform = f.Kube.Find(KubeKinds.Job, Ns, "etl-1-transform-1")!;
        transform.Spec.Template.Spec.Containers[0].Args.Should().Equal("--rows", "178", "--date", "2026-01-01");
        (await f.EventsAsync("etl-1", 2)).Select(e => e.Reason).Should().Equal(DagRunEventReasons.Started, DagRunEventReasons.Succeeded);
    }

    [Fact]
    public async Task Run_TaskFailingWithRetries2_ExactlyThreeJobs_ThenRunFails()
    {
        await using var f = await OperatorFixture.StartAsync((task, _) =>
            task == "flaky" ? new AttemptOutcome.Fail(3, "boom") : new AttemptOutcome.Succeed());
        var flaky = Task("flaky") with { Retries = 2, RetryDelay = "10s" };
        f.Apply(Dag("retry", flaky, Task("after", "flaky")));
        f.Create(Run("retry-1", "retry"));

        for (var failedTry = 1; failedTry <= 2; failedTry++)
        {
            var waiting = await f.WaitForTaskAsync("retry-1", "flaky", TaskState.UpForRetry, failedTry);
            waiting.Status!.Tasks![0].Message.Should().Be("Error: exit code 3: boom");
            await f.Clock.WaitForTimersAsync(1); // the controller's requeue at the retry time
            f.Clock.Advance(RetryDelay);
        }
        var run = await f.WaitForPhaseAsync("retry-1", RunPhase.Failed);

        f.CreatedJobs.Should().Equal("retry-1-flaky-1", "retry-1-flaky-2", "retry-1-flaky-3");
        run.Status!.Tasks!.Select(t => (t.Name, t.State, t.TryNumber)).Should().Equal(
            ("flaky", TaskState.Failed, 3), ("after", TaskState.UpstreamFailed, 0));
        run.Status.Tasks![0].ExitCode.Should().Be(3);
        (await f.EventsAsync("retry-1", 5)).Select(e => e.Reason).Should().Equal(DagRunEventReasons.Started, DagRunEventReasons.TaskRetrying,
            DagRunEventReasons.TaskRetrying, DagRunEventReasons.TaskFailed, DagRunEventReasons.Failed);
    }

    [Fact]
    public async Task Run_BranchSkipsUnchosen_JoinRuns()
    {
        await using var f = await OperatorFixture.StartAsync((task, _) =>
            new AttemptOutcome.Succeed(task == "check" ? """{"branch": "register"}""" : null));
        f.Apply(Dag("branchy",
            Task("train"),
            Task("check", "train") with { Type = "branch" },
            Task("register", "check"),
            Task("notify_low", "check"),
            Task("report", "register", "notify_low") with { TriggerRule = "none_failed_min_one_success" }));
        f.Create(Run("branchy-1", "branchy"));

        var run = await f.WaitForPhaseAsync("branchy-1", RunPhase.Succeeded);

        run.Status!.Tasks!.ToDictionary(t => t.Name, t => t.State).Should().Equal(new Dictionary<string, TaskState>
        {
            ["train"] = TaskState.Success,
            ["check"] = TaskState.Success,
            ["register"] = TaskState.Success,
            ["notify_low"] = TaskState.Skipped,
            ["report"] = TaskState.Success,
        });
        f.CreatedJobs.Should().BeEquivalentTo("branchy-1-train-1", "branchy-1-check-1", "branchy-1-register-1", "branchy-1-report-1");
    }

    [Fact]
    public async Task Run_InvalidParam_FailsAtOnceNamingTheParam_NoJob()
    {
        await using var f = await OperatorFixture.StartAsync();
        f.Apply(Dag("params", new DagSpec
        {
            Params = new() { ["threshold"] = new ParamSpec { Type = "number", Default = 0.8, Minimum = 0, Maximum = 1 } },
            Tasks = [Task("train")],
        }));
        f.Create(Run("params-1", "params", new Dictionary<string, JsonNode?> { ["threshold"] = 1.5 }));

        var run = await f.WaitForPhaseAsync("params-1", RunPhase.Failed);

        var condition = run.Status!.Conditions.Should().ContainSingle().Subject;
        condition.Should().BeEquivalentTo(new { Type = "Succeeded", Status = "False", Reason = RunRefusals.InvalidParams },
            o => o.ExcludingMissingMembers());
        condition.Message.Should().StartWith("param threshold: ").And.Contain("1.5");
        run.Status.DagSpecConfigMap.Should().BeNull("a refused run never started");
        f.CreatedJobs.Should().BeEmpty();
        (await f.EventsAsync("params-1", 1)).Select(e => (e.Type, e.Reason)).Should().Equal(("Warning", DagRunEventReasons.Failed));
    }

    [Fact]
    public async Task Run_OfMissingDag_FailsWithDagNotFound()
    {
        await using var f = await OperatorFixture.StartAsync();
        f.Create(Run("orphan-1", "nope"));

        var run = await f.WaitForPhaseAsync("orphan-1", RunPhase.Failed);

        run.Status!.Conditions![0].Reason.Should().Be(RunRefusals.DagNotFound);
        run.Status.Conditions[0].Message.Should().Be($"Dag nope not found in namespace {Ns}");
        f.CreatedJobs.Should().BeEmpty();
    }

    [Fact]
    public async Task Run_Cancelled_DeletesRunningJob_FailsRunningTask_SkipsTheRest()
    {
        await using var f = await OperatorFixture.StartAsync((_, _) => new AttemptOutcome.Hold());
        f.Apply(Dag("slow", Chain("a", "b")));
        f.Create(Run("slow-1", "slow"));
        await f.WaitForTaskAsync("slow-1", "a", TaskState.Running);

        var current = f.Run("slow-1");
        await f.Kube.ReplaceAsync(KubeKinds.DagRun, current with { Spec = current.Spec with { Cancel = true } });
        var run = await f.WaitForPhaseAsync("slow-1", RunPhase.Failed);

        run.Status!.Conditions![0].Reason.Should().Be(RunConditions.Reasons.Cancelled);
        run.Status.Tasks!.Select(t => (t.Name, t.State)).Should().Equal(("a", TaskState.Failed), ("b", TaskState.Skipped));
        await f.Kube.Changed.WaitUntilAsync(() => f.Kube.Find(KubeKinds.Job, Ns, "slow-1-a-1") is null, "the running Job is deleted");
        f.Kube.Writes.Should().Contain(new FakeCall("delete", KubeKinds.Job, Ns, "slow-1-a-1"));
        f.Kube.Find(KubeKinds.Pod, Ns, "slow-1-a-1-pod").Should().BeNull("Background propagation deletes the Job's pod");
        f.CreatedJobs.Should().Equal("slow-1-a-1");
    }

    [Fact]
    public async Task Run_OperatorRestartedMidRun_FinishesWithoutCreatingAnyJobTwice()
    {
        await using var f = await OperatorFixture.StartAsync((task, _) => task == "b" ? new AttemptOutcome.Hold() : new AttemptOutcome.Succeed());
        f.Apply(Dag("etl", Chain("a", "b", "c")));
        f.Create(Run("etl-1", "etl"));
        await f.WaitForTaskAsync("etl-1", "b", TaskState.Running);

        await f.RestartAsync();
        await f.Runner.Release("etl-1-b-1", new AttemptOutcome.Succeed());
        var run = await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        f.CreatedJobs.Should().Equal("etl-1-a-1", "etl-1-b-1", "etl-1-c-1");
        run.Status!.Tasks!.Should().OnlyContain(t => t.State == TaskState.Success && t.TryNumber == 1);
    }

    [Fact]
    public async Task Run_CrashAfterCreatingJobBeforeStatusWrite_RestartAdoptsTheJob()
    {
        await using var f = await OperatorFixture.StartAsync((_, _) => new AttemptOutcome.Hold());
        f.Apply(Dag("etl", Chain("a", "b")));
        // The first operator creates a's Job but can never write status: it dies with its knowledge.
        FailRunStatusWrites(f);
        f.Create(Run("etl-1", "etl"));
        await f.Kube.Changed.WaitUntilAsync(() => f.Runner.Held.Contains("etl-1-a-1"), "a's Job runs");
        f.Run("etl-1").Status.Should().BeNull();

        await f.RestartAsync(whileStopped: () => f.Kube.Intercept = null);
        await f.WaitForTaskAsync("etl-1", "a", TaskState.Running);
        await f.Runner.Release("etl-1-a-1", new AttemptOutcome.Succeed());
        await f.WaitForTaskAsync("etl-1", "b", TaskState.Running);
        await f.Runner.Release("etl-1-b-1", new AttemptOutcome.Succeed());
        await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        f.CreatedJobs.Should().Equal("etl-1-a-1", "etl-1-b-1");
    }

    [Fact]
    public async Task Run_PinsDagSpec_EditingTheDagDoesNotChangeAStartedRun()
    {
        await using var f = await OperatorFixture.StartAsync((task, _) => task == "a" ? new AttemptOutcome.Hold() : new AttemptOutcome.Succeed());
        f.Apply(Dag("etl", Chain("a", "b")));
        f.Create(Run("etl-1", "etl"));
        await f.WaitForTaskAsync("etl-1", "a", TaskState.Running);

        var dag = f.Kube.Find(KubeKinds.Dag, Ns, "etl")!;
        await f.Kube.ReplaceAsync(KubeKinds.Dag, dag with
        {
            Spec = dag.Spec with { Defaults = new TaskDefaults { Image = "edited:2" }, Tasks = [.. dag.Spec.Tasks, Task("added", "b")] },
        });
        await f.Runner.Release("etl-1-a-1", new AttemptOutcome.Succeed());
        var run = await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        run.Status!.Tasks!.Select(t => t.Name).Should().Equal("a", "b");
        f.Kube.Find(KubeKinds.Job, Ns, "etl-1-b-1")!.Spec.Template.Spec.Containers[0].Image.Should().Be("busybox:1.36");
    }

    [Fact]
    public async Task Run_DagEditedAfterPinButBeforeTheStatusWrite_RestartKeepsTheFirstPin()
    {
        await using var f = await OperatorFixture.StartAsync((_, _) => new AttemptOutcome.Succeed());
        f.Apply(Dag("etl", Chain("a", "b")));
        // The first operator pins the spec (its ConfigMap) but can never write the run's status.
        FailRunStatusWrites(f);
        f.Create(Run("etl-1", "etl"));
        await f.Kube.Changed.WaitUntilAsync(() => f.Kube.Find(KubeKinds.ConfigMap, Ns, "etl-1-dag-spec") is not null, "the pin");

        await f.RestartAsync(whileStopped: () =>
        {
            f.Kube.Intercept = null;
            var dag = f.Kube.Find(KubeKinds.Dag, Ns, "etl")!;
            f.Kube.ReplaceAsync(KubeKinds.Dag, dag with { Spec = dag.Spec with { Tasks = [.. dag.Spec.Tasks, Task("added", "b")] } }).GetAwaiter().GetResult();
        });
        var run = await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        run.Status!.Tasks!.Select(t => t.Name).Should().Equal(["a", "b"], "the ConfigMap written first is the pin, not the Dag as it is now");
        f.CreatedJobs.Should().Equal("etl-1-a-1", "etl-1-b-1");
    }

    [Fact]
    public async Task Run_PinnedSpecConfigMapDeleted_RunFailsNamingIt()
    {
        await using var f = await OperatorFixture.StartAsync((_, _) => new AttemptOutcome.Hold());
        f.Apply(Dag("etl", Chain("a", "b")));
        f.Create(Run("etl-1", "etl"));
        await f.WaitForTaskAsync("etl-1", "a", TaskState.Running);

        // A restarted operator has only the API to read the pin from.
        await f.RestartAsync(whileStopped: () => f.Kube.DeleteAsync(KubeKinds.ConfigMap, Ns, "etl-1-dag-spec").GetAwaiter().GetResult());
        var run = await f.WaitForPhaseAsync("etl-1", RunPhase.Failed);

        var condition = run.Status!.Conditions!.Single();
        condition.Reason.Should().Be(RunConditions.Reasons.InvalidSpec);
        condition.Message.Should().Contain("ConfigMap etl-1-dag-spec").And.Contain("gone");
    }

    [Fact]
    public async Task Run_DagDeletedAfterStart_RunFinishesFromItsPinnedSpec()
    {
        await using var f = await OperatorFixture.StartAsync((task, _) => task == "a" ? new AttemptOutcome.Hold() : new AttemptOutcome.Succeed());
        f.Apply(Dag("etl", Chain("a", "b")));
        f.Create(Run("etl-1", "etl"));
        await f.WaitForTaskAsync("etl-1", "a", TaskState.Running);

        await f.Kube.DeleteAsync(KubeKinds.Dag, Ns, "etl");
        await f.Runner.Release("etl-1-a-1", new AttemptOutcome.Succeed());

        await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);
    }

    [Fact]
    public async Task Run_MaxActiveRuns1_SecondRunWaitsQueued_ThenStartsWhenTheFirstEnds()
    {
        await using var f = await OperatorFixture.StartAsync((_, _) => new AttemptOutcome.Hold());
        f.Apply(Dag("one", new DagSpec { MaxActiveRuns = 1, Tasks = [Task("a")] }));
        f.Create(Run("one-1", "one") with { Spec = new DagRunSpec { DagName = "one", LogicalDate = T0 } });
        f.Create(Run("one-2", "one") with { Spec = new DagRunSpec { DagName = "one", LogicalDate = T0.AddDays(1) } });

        await f.WaitForTaskAsync("one-1", "a", TaskState.Running);
        var queued = await f.WaitForRunAsync("one-2",
            r => r.Status?.Conditions?.Any(c => c.Reason == RunConditions.Reasons.Queued && c.Message == "maxActiveRuns (1) reached: 1 running") == true,
            "queued behind the running run");
        queued.Status!.Phase.Should().Be(RunPhase.Queued);
        f.CreatedJobs.Should().Equal("one-1-a-1");

        await f.Runner.Release("one-1-a-1", new AttemptOutcome.Succeed());
        await f.WaitForPhaseAsync("one-1", RunPhase.Succeeded);
        await f.WaitForTaskAsync("one-2", "a", TaskState.Running);
        f.CreatedJobs.Should().Equal("one-1-a-1", "one-2-a-1");
    }

    [Fact]
    public async Task Run_PausedDag_RunStaysQueuedUntilUnpaused()
    {
        await using var f = await OperatorFixture.StartAsync();
        var dag = f.Apply(Dag("paused", new DagSpec { Paused = true, Tasks = [Task("a")] }));
        f.Create(Run("paused-1", "paused"));

        var queued = await f.WaitForRunAsync("paused-1", r => r.Status?.Phase == RunPhase.Queued, "queued");
        queued.Status!.Conditions![0].Message.Should().Be("Dag paused is paused");
        f.CreatedJobs.Should().BeEmpty();

        var current = f.Kube.Find(KubeKinds.Dag, Ns, "paused")!;
        await f.Kube.ReplaceAsync(KubeKinds.Dag, current with { Spec = current.Spec with { Paused = false } });
        await f.WaitForPhaseAsync("paused-1", RunPhase.Succeeded);
    }

    [Fact]
    public async Task Run_TemplateErrorAtRunTime_FailsTheTaskNamingTheField_NoJob()
    {
        await using var f = await OperatorFixture.StartAsync();
        f.Apply(Dag("tmpl", Task("a"), Task("b", "a") with { Args = ["{{ tasks.a.outputs.missing }}"] }));
        f.Create(Run("tmpl-1", "tmpl"));

        var run = await f.WaitForPhaseAsync("tmpl-1", RunPhase.Failed);

        var b = run.Status!.Tasks!.Single(t => t.Name == "b");
        b.State.Should().Be(TaskState.Failed);
        b.Message.Should().StartWith("task b: args[0]: ");
        f.CreatedJobs.Should().Equal("tmpl-1-a-1");
    }

    [Fact]
    public async Task Run_WithWorkspace_CreatesTheRunsClaimBeforeTheFirstJob()
    {
        await using var f = await OperatorFixture.StartAsync();
        f.Apply(Dag("ws", new DagSpec { Workspace = new WorkspaceSpec { Size = "2Gi" }, Tasks = [Task("a")] }));
        var created = f.Create(Run("ws-1", "ws"));

        await f.WaitForPhaseAsync("ws-1", RunPhase.Succeeded);

        var claim = f.Kube.Find(KubeKinds.PersistentVolumeClaim, Ns, "ws-1-workspace")!;
        claim.Metadata.OwnerReferences.Should().ContainSingle().Which.Uid.Should().Be(created.Metadata.Uid);
        var creates = f.Kube.Writes.Where(w => w.Verb == "create" && (w.Kind == KubeKinds.Job || w.Kind == KubeKinds.PersistentVolumeClaim));
        creates.Select(w => w.Name).Should().Equal("ws-1-workspace", "ws-1-a-1");
    }

    [Fact]
    public async Task Run_DeadlineExceeded_FailsWithTheTimeoutMessage()
    {
        await using var f = await OperatorFixture.StartAsync((_, _) => new AttemptOutcome.DeadlineExceeded());
        f.Apply(Dag("slow", Task("a") with { ExecutionTimeout = "5m" }));
        f.Create(Run("slow-1", "slow"));

        var run = await f.WaitForPhaseAsync("slow-1", RunPhase.Failed);

        run.Status!.Tasks![0].Message.Should().StartWith("execution timeout (5m) exceeded");
        f.Kube.Find(KubeKinds.Job, Ns, "slow-1-a-1")!.Spec.ActiveDeadlineSeconds.Should().Be(300);
    }

    [Fact]
    public async Task Run_StatusWriteConflict_IsRetriedAndTheRunCompletes()
    {
        await using var f = await OperatorFixture.StartAsync();
        var conflicts = 0;
        f.Kube.Intercept = call => call.Verb == "status" && call.Kind == KubeKinds.DagRun && Interlocked.Increment(ref conflicts) <= 3
            ? new KubeApiException(new ApiStatus { Code = 409, Reason = "Conflict", Message = "the object has been modified" }, "PUT", "/status")
            : null;
        f.Apply(Dag("etl", Chain("a", "b")));
        f.Create(Run("etl-1", "etl"));

        await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        conflicts.Should().BeGreaterThan(3);
        f.CreatedJobs.Should().Equal("etl-1-a-1", "etl-1-b-1");
    }

    [Fact]
    public async Task Reconcile_LogsCarryTheRunScope_AndTaskLogsTheTask()
    {
        await using var f = await OperatorFixture.StartAsync();
        f.Apply(Dag("etl", Task("a")));
        f.Create(Run("etl-1", "etl"));
        await f.WaitForPhaseAsync("etl-1", RunPhase.Succeeded);

        var created = f.Logs.Lines.Should().Contain(l => l.Message.StartsWith("Created Job etl-1-a-1", StringComparison.Ordinal)).Subject;
        created.Scope.Should().Contain("namespace", Ns).And.Contain("dagRun", "etl-1").And.Contain("task", "a");
    }

    /// <summary>Every DagRun status write fails (503): the operator acts but cannot record what it did.</summary>
    private static void FailRunStatusWrites(OperatorFixture f) =>
        f.Kube.Intercept = call => call.Verb == "status" && call.Kind == KubeKinds.DagRun
            ? new KubeApiException(new ApiStatus { Code = 503, Reason = "ServiceUnavailable", Message = "etcd down" }, "PUT", "/status")
            : null;
}
