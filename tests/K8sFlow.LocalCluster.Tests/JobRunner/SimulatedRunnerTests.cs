using System.Diagnostics;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;
using static K8sFlow.LocalCluster.Tests.JobRunner.RunnerSupport;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary>The runner in Simulated mode (no processes), and the Job controller rules it makes cheap to check.</summary>
public sealed class SimulatedRunnerTests
{
    private static Task<TestCluster> Simulated(Func<JobRunnerOptions, JobRunnerOptions>? runner = null) => StartAsync(JobRunnerMode.Simulated, runner);

    private static JsonObject Annotated(string name, params (string Key, string Value)[] annotations)
    {
        var job = Job(name, "train");
        job["spec"]!["template"]!["metadata"] = new JsonObject
        {
            ["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))),
        };
        return job;
    }

    [Theory]
    [InlineData(null, null, "Complete", 0, "Completed", null)]
    [InlineData("0", """{"rows":"7"}""", "Complete", 0, "Completed", """{"rows":"7"}""")]
    [InlineData("3", "bad input", "Failed", 3, "Error", "bad input")]
    public async Task Annotations_SetExitCodeAndMessage(string? exitCode, string? message, string condition, int expectedExit, string reason, string? expectedMessage)
    {
        await using var cluster = await Simulated();
        var annotations = new List<(string, string)>();
        if (exitCode is not null)
        {
            annotations.Add((SimulationAnnotations.ExitCode, exitCode));
        }
        if (message is not null)
        {
            annotations.Add((SimulationAnnotations.Message, message));
        }
        Create(cluster, Annotated("sim", [.. annotations]));

        var done = await WaitFinishedAsync(cluster, "sim");

        HasCondition(done, condition).Should().BeTrue(done.ToJsonString());
        var pod = PodsOf(cluster, "sim").Single();
        Terminated(pod)!["exitCode"]!.GetValue<int>().Should().Be(expectedExit);
        Terminated(pod)!["reason"]!.GetValue<string>().Should().Be(reason);
        Terminated(pod)!["message"]?.GetValue<string>().Should().Be(expectedMessage);
        cluster.Server.Logs.Lines(Ns, pod["metadata"]!["name"]!.GetValue<string>(), "main").Select(l => l.Text)
            .Should().Equal($"simulated container main: exit code {expectedExit}");
    }

    [Fact]
    public async Task LogsAnnotation_BecomesTheContainerLog()
    {
        await using var cluster = await Simulated();
        Create(cluster, Annotated("logged", (SimulationAnnotations.Logs, "loading\ntraining\ndone\n")));

        await WaitFinishedAsync(cluster, "logged");

        var pod = PodsOf(cluster, "logged").Single()["metadata"]!["name"]!.GetValue<string>();
        cluster.Server.Logs.Lines(Ns, pod, "main").Select(l => l.Text).Should().Equal("loading", "training", "done");
    }

    [Fact]
    public async Task DurationAnnotation_KeepsThePodRunningFirst()
    {
        await using var cluster = await Simulated();
        Create(cluster, Annotated("timed", (SimulationAnnotations.Duration, "300ms")));

        var running = await WaitFirstPodAsync(cluster, "timed", p => Phase(p) == "Running", "phase Running");
        var finished = await WaitPodAsync(cluster, running["metadata"]!["name"]!.GetValue<string>(), p => Phase(p) == "Succeeded", "phase Succeeded");

        running["status"]!["containerStatuses"]![0]!["state"]!["running"].Should().NotBeNull();
        Terminated(finished)!["reason"]!.GetValue<string>().Should().Be("Completed");
    }

    [Fact]
    public async Task MalformedAnnotation_FailsThePod_NamingTheAnnotation()
    {
        await using var cluster = await Simulated();
        Create(cluster, Annotated("typo", (SimulationAnnotations.ExitCode, "three")));

        await WaitFinishedAsync(cluster, "typo");

        Terminated(PodsOf(cluster, "typo").Single())!["message"]!.GetValue<string>()
            .Should().Be("annotation k8sflow.io/sim-exit-code: \"three\" is not an exit code (an integer from 0 to 255)");
    }

    [Fact]
    public async Task OptionsDefaultAndCallback_DecideUnannotatedPods()
    {
        await using var cluster = await Simulated(o => o with
        {
            SimulatedDefault = new SimulatedOutcome { ExitCode = 5 },
            Simulate = pod => pod["metadata"]!["name"]!.GetValue<string>().StartsWith("lucky-", StringComparison.Ordinal) ? new SimulatedOutcome { Message = "ok" } : null,
        });
        Create(cluster, Job("unlucky", "x"));
        Create(cluster, Job("lucky", "x"));

        var unlucky = await WaitFinishedAsync(cluster, "unlucky");
        var lucky = await WaitFinishedAsync(cluster, "lucky");

        HasCondition(unlucky, "Failed").Should().BeTrue();
        HasCondition(lucky, "Complete").Should().BeTrue();
        Terminated(PodsOf(cluster, "lucky").Single())!["message"]!.GetValue<string>().Should().Be("ok");
    }

    [Theory]
    [InlineData(1, 3, 3)]
    [InlineData(3, 3, 3)]
    [InlineData(2, 5, 5)]
    public async Task Completions_RunUntilEnoughPodsSucceeded(int parallelism, int completions, int pods)
    {
        await using var cluster = await Simulated();
        var job = Job("batch", "x");
        job["spec"]!["parallelism"] = parallelism;
        job["spec"]!["completions"] = completions;
        Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "batch");

        HasCondition(done, "Complete").Should().BeTrue(done.ToJsonString());
        done["status"]!["succeeded"]!.GetValue<int>().Should().Be(completions);
        PodsOf(cluster, "batch").Should().HaveCount(pods);
    }

    [Fact]
    public async Task PodFailurePolicy_FailJobOnExitCode_FailsAtOnceDespiteBackoffLimit()
    {
        await using var cluster = await Simulated();
        var job = Annotated("policy", (SimulationAnnotations.ExitCode, "42"));
        job["spec"]!["backoffLimit"] = 5;
        job["spec"]!["podFailurePolicy"] = JsonNode.Parse("""{"rules":[{"action":"FailJob","onExitCodes":{"operator":"In","values":[42]}}]}""");
        Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "policy");

        HasCondition(done, "Failed", "PodFailurePolicy").Should().BeTrue(done.ToJsonString());
        var pod = PodsOf(cluster, "policy").Should().ContainSingle().Subject;
        var failed = (done["status"]!["conditions"] as JsonArray)!.OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == "Failed");
        failed["message"]!.GetValue<string>().Should().Be($"Container main for pod default/{pod["metadata"]!["name"]} failed with exit code 42 matching FailJob rule at index 0");
    }

    [Fact]
    public async Task PodFailurePolicy_Ignore_ReplacesThePodWithoutCountingIt()
    {
        var attempts = 0;
        await using var cluster = await Simulated(o => o with { Simulate = _ => new SimulatedOutcome { ExitCode = Interlocked.Increment(ref attempts) == 1 ? 137 : 0 } });
        var job = Job("flaky", "x");
        job["spec"]!["podFailurePolicy"] = JsonNode.Parse("""{"rules":[{"action":"Ignore","onExitCodes":{"operator":"In","values":[137]}}]}""");
        Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "flaky");

        HasCondition(done, "Complete").Should().BeTrue(done.ToJsonString());
        done["status"]!["failed"].Should().BeNull("an ignored failure does not count");
        PodsOf(cluster, "flaky").Should().HaveCount(2);
    }

    [Fact]
    public async Task RestartPolicyOnFailure_RestartsTheContainerInThePod()
    {
        var starts = 0;
        await using var cluster = await Simulated(o => o with { Simulate = _ => new SimulatedOutcome { ExitCode = Interlocked.Increment(ref starts) == 1 ? 1 : 0 } });
        var job = Job("retried", "x");
        job["spec"]!["template"]!["spec"]!["restartPolicy"] = "OnFailure";
        job["spec"]!["backoffLimit"] = 3;
        Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "retried");

        HasCondition(done, "Complete").Should().BeTrue(done.ToJsonString());
        var status = PodsOf(cluster, "retried").Should().ContainSingle().Subject["status"]!["containerStatuses"]![0]!;
        status["restartCount"]!.GetValue<int>().Should().Be(1);
        status["lastState"]!["terminated"]!["exitCode"]!.GetValue<int>().Should().Be(1);
        status["state"]!["terminated"]!["exitCode"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public async Task RestartPolicyOnFailure_RestartsBeyondBackoffLimit_FailTheJobAndRemoveThePod()
    {
        await using var cluster = await Simulated(o => o with
        {
            SimulatedDefault = new SimulatedOutcome { ExitCode = 1 },
            ContainerRestartBackoff = TimeSpan.FromMilliseconds(20),
        });
        var job = Job("crashing", "x");
        job["spec"]!["template"]!["spec"]!["restartPolicy"] = "OnFailure";
        job["spec"]!["backoffLimit"] = 1;
        Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "crashing");

        HasCondition(done, "Failed", "BackoffLimitExceeded").Should().BeTrue(done.ToJsonString());
        PodsOf(cluster, "crashing").Should().BeEmpty("the Job controller deletes the pod it gave up on");
    }

    [Fact]
    public async Task Suspend_CreatesNoPod_ResumeRunsIt()
    {
        await using var cluster = await Simulated();
        var job = Job("paused", "x");
        job["spec"]!["suspend"] = true;
        Create(cluster, job);
        var suspended = await WaitJobAsync(cluster, "paused", j => HasCondition(j, "Suspended"), "Suspended condition");

        cluster.Store.Patch(ResourceRef.Jobs, Ns, "paused", PatchType.Merge, """{"spec":{"suspend":false}}""").Unwrap();
        var done = await WaitFinishedAsync(cluster, "paused");

        suspended["status"]!["startTime"].Should().BeNull();
        HasCondition(done, "Complete").Should().BeTrue();
        PodsOf(cluster, "paused").Should().ContainSingle();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task TtlSecondsAfterFinished_DeletesTheJobAndItsPods(int ttl)
    {
        await using var cluster = await Simulated();
        using var jobs = cluster.Store.Watch(ResourceRef.Jobs, Ns, new WatchOptions { ResourceVersion = cluster.Store.ResourceVersion }).Unwrap();
        using var pods = cluster.Store.Watch(ResourceRef.Pods, Ns, new WatchOptions { ResourceVersion = cluster.Store.ResourceVersion }).Unwrap();
        var job = Job("short-lived", "x");
        job["spec"]!["ttlSecondsAfterFinished"] = ttl;

        Create(cluster, job);

        using var timeout = new CancellationTokenSource(RunnerSupport.Patience);
        var jobEvents = await jobs.ReadAllAsync(timeout.Token).TakeWhile(e => e.Type != WatchEventType.Deleted).ToListAsync(timeout.Token);
        var podEvents = await pods.ReadAllAsync(timeout.Token).TakeWhile(e => e.Type != WatchEventType.Deleted).ToListAsync(timeout.Token);
        var finished = jobEvents.Select(e => e.Object).Last();
        HasCondition(finished, "Complete").Should().BeTrue("the Job is deleted only after it finished");
        podEvents.Should().NotBeEmpty();
        cluster.Store.Get(ResourceRef.Jobs, Ns, "short-lived").IsSuccess.Should().BeFalse();
        PodsOf(cluster, "short-lived").Should().BeEmpty("the pods are garbage-collected with the Job");
    }

    [Fact]
    public async Task Restart_PodThatWasRunning_FailsAsLost_NoPodIsCreatedTwice()
    {
        var data = Path.Combine(Path.GetTempPath(), "k8sflow-jobrunner-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string first;
            await using (var before = await StartAsync(JobRunnerMode.Simulated, cluster: o => o with { DataDirectory = data }))
            {
                var job = Annotated("survivor", (SimulationAnnotations.Duration, "1h"));
                job["spec"]!["backoffLimit"] = 1;
                Create(before, job);
                first = (await WaitFirstPodAsync(before, "survivor", p => Phase(p) == "Running", "phase Running"))["metadata"]!["name"]!.GetValue<string>();
            }

            await using var after = await StartAsync(JobRunnerMode.Simulated, cluster: o => o with { DataDirectory = data });
            var lost = await WaitPodAsync(after, first, p => Phase(p) == "Failed", "phase Failed");
            await WaitFirstPodAsync(after, "survivor", p => p["metadata"]!["name"]!.GetValue<string>() != first && Phase(p) == "Running", "a replacement running");
            var job1 = await WaitJobAsync(after, "survivor", j => j["status"]?["failed"]?.GetValue<int>() == 1, "failed 1");

            Terminated(lost)!["reason"]!.GetValue<string>().Should().Be("ContainerStatusUnknown");
            job1["status"]!["active"]!.GetValue<int>().Should().Be(1);
            PodsOf(after, "survivor").Should().HaveCount(2, "the lost pod is one failure (backoffLimit 1), replaced once");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task TwoThousandJobs_AllCompleteWellWithinAMinute()
    {
        const int count = 2000;
        await using var cluster = await StartAsync(JobRunnerMode.Simulated, cluster: o => o with { Store = o.Store with { WatchBufferSize = 100_000 } });
        using var watch = cluster.Store.Watch(ResourceRef.Jobs, Ns, new WatchOptions { ResourceVersion = cluster.Store.ResourceVersion }).Unwrap();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < count; i++)
        {
            Create(cluster, Job($"bulk-{i}", "x"));
        }
        var complete = new HashSet<string>();
        using var timeout = new CancellationTokenSource(RunnerSupport.Patience);
        await foreach (var change in watch.ReadAllAsync(timeout.Token))
        {
            if (change.Type == WatchEventType.Modified && HasCondition(change.Object, "Complete") && complete.Add(change.Object["metadata"]!["name"]!.GetValue<string>())
                && complete.Count == count)
            {
                break;
            }
        }

        complete.Should().HaveCount(count);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "thousands of Jobs a minute, with room to spare on a shared machine");
    }
}
