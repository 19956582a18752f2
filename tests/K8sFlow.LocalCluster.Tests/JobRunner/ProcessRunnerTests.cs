using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tests.Support;
using static K8sFlow.LocalCluster.Tests.JobRunner.RunnerSupport;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary>The runner in Processes mode: Jobs whose containers run as /bin/sh commands on this machine.</summary>
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task Job_PodWritesLogsAndTerminationMessage_RunsToComplete()
    {
        await using var cluster = await StartAsync();
        var job = Shell("hello", """echo one; echo two; echo three; printf '{"rows":"42"}' > "$K8SFLOW_OUTPUT" """);
        MainContainer(job)["env"] = new JsonArray(new JsonObject { ["name"] = "K8SFLOW_OUTPUT", ["value"] = "/dev/termination-log" });
        var created = Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "hello");

        HasCondition(done, "SuccessCriteriaMet", "CompletionsReached").Should().BeTrue(done.ToJsonString());
        HasCondition(done, "Complete", "CompletionsReached").Should().BeTrue();
        done["status"]!["succeeded"]!.GetValue<int>().Should().Be(1);
        done["status"]!["startTime"].Should().NotBeNull();
        done["status"]!["completionTime"].Should().NotBeNull();
        var pod = PodsOf(cluster, "hello").Should().ContainSingle().Subject;
        pod["metadata"]!["name"]!.GetValue<string>().Should().MatchRegex("^hello-[a-z0-9]{5}$");
        pod["metadata"]!["labels"]!["batch.kubernetes.io/controller-uid"]!.GetValue<string>().Should().Be(created["metadata"]!["uid"]!.GetValue<string>());
        pod["metadata"]!["labels"]!["job-name"]!.GetValue<string>().Should().Be("hello");
        var owner = pod["metadata"]!["ownerReferences"]![0]!;
        (owner["kind"]!.GetValue<string>(), owner["name"]!.GetValue<string>(), owner["controller"]!.GetValue<bool>(), owner["blockOwnerDeletion"]!.GetValue<bool>())
            .Should().Be(("Job", "hello", true, true));
        Phase(pod).Should().Be("Succeeded");
        var terminated = Terminated(pod)!;
        terminated["exitCode"]!.GetValue<int>().Should().Be(0);
        terminated["reason"]!.GetValue<string>().Should().Be("Completed");
        terminated["message"]!.GetValue<string>().Should().Be("""{"rows":"42"}""");
        terminated["startedAt"].Should().NotBeNull();
        terminated["finishedAt"].Should().NotBeNull();
        cluster.Server.Logs.Lines(Ns, pod["metadata"]!["name"]!.GetValue<string>(), "main").Select(l => l.Text).Should().Equal("one", "two", "three");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    public async Task Exit3_FailsAfterBackoffLimitPlusOnePods_BackoffLimitExceeded(int backoffLimit, int pods)
    {
        await using var cluster = await StartAsync();
        var job = Shell("fails", "echo failing; exit 3");
        job["spec"]!["backoffLimit"] = backoffLimit;
        Create(cluster, job);

        var done = await WaitFinishedAsync(cluster, "fails");

        HasCondition(done, "FailureTarget", "BackoffLimitExceeded").Should().BeTrue(done.ToJsonString());
        HasCondition(done, "Failed", "BackoffLimitExceeded").Should().BeTrue();
        done["status"]!["failed"]!.GetValue<int>().Should().Be(pods);
        done["status"]!["completionTime"].Should().BeNull("only a successful Job has a completion time");
        var all = PodsOf(cluster, "fails");
        all.Should().HaveCount(pods);
        all.Should().AllSatisfy(p =>
        {
            Phase(p).Should().Be("Failed");
            Terminated(p)!["exitCode"]!.GetValue<int>().Should().Be(3);
            Terminated(p)!["reason"]!.GetValue<string>().Should().Be("Error");
        });
    }

    [Fact]
    public async Task ActiveDeadline_KillsLongSleep_JobFailsDeadlineExceeded_PodAndLogStay()
    {
        await using var cluster = await StartAsync();
        var job = Shell("slow", "echo started; sleep 3600.101");
        // 2 s: startTime has whole seconds, so the deadline is 1 to 2 s away (time for the pod to start).
        job["spec"]!["activeDeadlineSeconds"] = 2;
        Create(cluster, job);
        var running = await WaitFirstPodAsync(cluster, "slow", p => Phase(p) == "Running", "phase Running");
        var sleeper = ProcessesWith("3600.101");

        var done = await WaitFinishedAsync(cluster, "slow");

        HasCondition(done, "FailureTarget", "DeadlineExceeded").Should().BeTrue(done.ToJsonString());
        HasCondition(done, "Failed", "DeadlineExceeded").Should().BeTrue();
        done["status"]!["failed"]!.GetValue<int>().Should().Be(1);
        // The Job's verdict and the pod's final status are two writes, as in a real cluster: either may come first.
        var pod = await WaitFirstPodAsync(cluster, "slow", p => p["status"]?["reason"] is not null, "the pod's final status");
        Phase(pod).Should().Be("Failed");
        pod["status"]!["reason"]!.GetValue<string>().Should().Be("DeadlineExceeded");
        Terminated(pod)!["reason"]!.GetValue<string>().Should().Be("DeadlineExceeded");
        Terminated(pod)!["exitCode"]!.GetValue<int>().Should().Be(137);
        cluster.Server.Logs.Lines(Ns, pod["metadata"]!["name"]!.GetValue<string>(), "main").Select(l => l.Text).Should().Equal("started");
        sleeper.Should().NotBeEmpty();
        foreach (var pid in sleeper.Append(ProcessId(running)))
        {
            (await ExitedAsync(pid)).Should().BeTrue($"process {pid} must not outlive its container");
        }
    }

    [Fact]
    public async Task OutputAndWorkspacePaths_AreRewrittenToLocalFiles_ClaimIsSharedByTwoJobs()
    {
        await using var cluster = await StartAsync();
        cluster.Store.Create(ResourceRef.PersistentVolumeClaims, Ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "run-workspace" },
            ["spec"] = new JsonObject { ["accessModes"] = new JsonArray("ReadWriteOnce"), ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = "1Gi" } } },
        }).Unwrap();
        JsonObject WithWorkspace(JsonObject job)
        {
            var container = MainContainer(job);
            container["env"] = new JsonArray(
                new JsonObject { ["name"] = "K8SFLOW_OUTPUT", ["value"] = "/dev/termination-log" },
                new JsonObject { ["name"] = "K8SFLOW_WORKSPACE", ["value"] = "/workspace" });
            container["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "ws", ["mountPath"] = "/workspace" });
            job["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(new JsonObject
            {
                ["name"] = "ws",
                ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = "run-workspace" },
            });
            return job;
        }
        var writer = WithWorkspace(Job("writer", "/bin/sh", "-c",
            """mkdir -p "$K8SFLOW_WORKSPACE/data"; echo "$K8SFLOW_WORKSPACE" > "$K8SFLOW_OUTPUT"; echo hello > "$1"; echo "$2" """,
            "sh", "/workspace/data/in.txt", "--out=/workspace/data"));
        var reader = WithWorkspace(Job("reader", "/bin/sh", "-c", """cat "$1" > "$2" """, "sh", "/workspace/data/in.txt", "$(K8SFLOW_OUTPUT)"));
        var claim = cluster.Server.JobRunner!.ClaimDirectory(Ns, "run-workspace");

        Create(cluster, writer);
        var written = await WaitFinishedAsync(cluster, "writer");
        Create(cluster, reader);
        var read = await WaitFinishedAsync(cluster, "reader");

        HasCondition(written, "Complete").Should().BeTrue(written.ToJsonString());
        HasCondition(read, "Complete").Should().BeTrue(read.ToJsonString());
        var writerPod = PodsOf(cluster, "writer").Single();
        Terminated(writerPod)!["message"]!.GetValue<string>().Should().Be(claim + "\n", "K8SFLOW_WORKSPACE=/workspace is the claim's local directory");
        cluster.Server.Logs.Lines(Ns, writerPod["metadata"]!["name"]!.GetValue<string>(), "main").Select(l => l.Text)
            .Should().Equal($"--out={claim}/data");
        File.ReadAllText(Path.Combine(claim, "data", "in.txt")).Should().Be("hello\n");
        Terminated(PodsOf(cluster, "reader").Single())!["message"]!.GetValue<string>().Should().Be("hello\n", "the second Job sees the first one's file");
    }

    [Fact]
    public async Task ContainerWithoutCommand_FailsWithStartError_SayingTheImageIsNotRun()
    {
        await using var cluster = await StartAsync();
        Create(cluster, Job("no-command"));

        var done = await WaitFinishedAsync(cluster, "no-command");

        HasCondition(done, "Failed", "BackoffLimitExceeded").Should().BeTrue(done.ToJsonString());
        var terminated = Terminated(PodsOf(cluster, "no-command").Single())!;
        terminated["reason"]!.GetValue<string>().Should().Be("StartError");
        terminated["exitCode"]!.GetValue<int>().Should().Be(128);
        terminated["message"]!.GetValue<string>().Should().Contain("runs the container's command on this machine").And.Contain("image busybox:1.36 has no command here");
    }

    [Fact]
    public async Task UnknownExecutable_FailsWithStartError_NamingIt()
    {
        await using var cluster = await StartAsync();
        Create(cluster, Job("missing-exe", "no-such-program-k8sflow", "--help"));

        await WaitFinishedAsync(cluster, "missing-exe");

        Terminated(PodsOf(cluster, "missing-exe").Single())!["message"]!.GetValue<string>()
            .Should().Be("exec: \"no-such-program-k8sflow\": executable file not found in $PATH");
    }

    [Fact]
    public async Task DeletingTheJob_KillsItsProcess_AndGarbageCollectionRemovesThePod()
    {
        await using var cluster = await StartAsync();
        Create(cluster, Shell("doomed", "sleep 3600.202 & echo up; wait"));
        var running = await WaitFirstPodAsync(cluster, "doomed", p => Phase(p) == "Running", "phase Running");
        await FirstLogLineAsync(cluster, running);
        var processes = ProcessesWith("3600.202").Append(ProcessId(running)).Distinct().ToList();

        cluster.Store.Delete(ResourceRef.Jobs, Ns, "doomed", new DeleteOptions { PropagationPolicy = PropagationPolicy.Background }).Unwrap();

        await WaitDeletedAsync(cluster, ResourceRef.Pods, running["metadata"]!["name"]!.GetValue<string>());
        processes.Should().HaveCount(2, "the shell and its background sleep");
        foreach (var pid in processes)
        {
            (await ExitedAsync(pid)).Should().BeTrue($"process {pid} must die with its pod");
        }
    }

    [Theory]
    [InlineData("FallbackToLogsOnError", 2, "first\nsecond\n")]
    [InlineData("FallbackToLogsOnError", 0, null)]
    [InlineData("File", 2, null)]
    public async Task TerminationMessagePolicy_LogTailOnlyWhenFallbackAndFailedWithEmptyFile(string policy, int exitCode, string? message)
    {
        await using var cluster = await StartAsync();
        var job = Shell("tail", $"echo first; echo second; exit {exitCode}");
        MainContainer(job)["terminationMessagePolicy"] = policy;
        Create(cluster, job);

        await WaitFinishedAsync(cluster, "tail");

        Terminated(PodsOf(cluster, "tail").Single())!["message"]?.GetValue<string>().Should().Be(message);
    }

    [Fact]
    public async Task TerminationMessage_IsCutAt4096Bytes()
    {
        await using var cluster = await StartAsync();
        Create(cluster, Job("long", "/bin/sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x > \"$1\"", "sh", "/dev/termination-log"));

        await WaitFinishedAsync(cluster, "long");

        Terminated(PodsOf(cluster, "long").Single())!["message"]!.GetValue<string>().Should().Be(new string('x', 4096));
    }

    [Fact]
    public async Task MaxConcurrentProcesses_QueuesTheNextPodAsUnschedulable_UntilASlotFrees()
    {
        await using var cluster = await StartAsync(runner: o => o with { MaxConcurrentProcesses = 1 });
        Create(cluster, Shell("first", "sleep 3600.303"));
        var first = await WaitFirstPodAsync(cluster, "first", p => Phase(p) == "Running", "phase Running");
        Create(cluster, Shell("second", "echo second"));

        var queued = await WaitFirstPodAsync(cluster, "second", p => Condition(p, "PodScheduled")?["status"]?.GetValue<string>() == "False", "PodScheduled=False");
        cluster.Store.Delete(ResourceRef.Jobs, Ns, "first", new DeleteOptions { PropagationPolicy = PropagationPolicy.Background }).Unwrap();
        var done = await WaitFinishedAsync(cluster, "second");

        Phase(queued).Should().Be("Pending");
        Condition(queued, "PodScheduled")!["reason"]!.GetValue<string>().Should().Be("Unschedulable");
        Condition(queued, "PodScheduled")!["message"]!.GetValue<string>().Should().Contain("MaxConcurrentProcesses");
        HasCondition(done, "Complete").Should().BeTrue();
        first["metadata"]!["name"].Should().NotBeNull();
    }

    [Fact]
    public async Task GracefulPodDelete_KillsContainer_WritesFinalStatus_JobReplacesThePod()
    {
        await using var cluster = await StartAsync(cluster: o => o with { Store = o.Store with { GracefulPodDeletion = true } });
        var job = Shell("replaced", "sleep 3600.404");
        job["spec"]!["backoffLimit"] = 1;
        Create(cluster, job);
        var first = await WaitFirstPodAsync(cluster, "replaced", p => Phase(p) == "Running", "phase Running");
        var firstName = first["metadata"]!["name"]!.GetValue<string>();

        cluster.Store.Delete(ResourceRef.Pods, Ns, firstName).Unwrap();

        var stopped = await WaitPodAsync(cluster, firstName, p => Phase(p) == "Failed", "phase Failed");
        await WaitDeletedAsync(cluster, ResourceRef.Pods, firstName);
        var second = await WaitFirstPodAsync(cluster, "replaced", p => p["metadata"]!["name"]!.GetValue<string>() != firstName && Phase(p) == "Running", "a second running pod");
        Terminated(stopped)!["exitCode"]!.GetValue<int>().Should().Be(137);
        stopped["metadata"]!["deletionTimestamp"].Should().NotBeNull();
        var job1 = await WaitJobAsync(cluster, "replaced", j => j["status"]?["failed"]?.GetValue<int>() == 1, "failed 1");
        job1["status"]!["active"]!.GetValue<int>().Should().Be(1);
        second["metadata"]!["name"]!.GetValue<string>().Should().StartWith("replaced-");
    }

    [Fact]
    public async Task ConfigMapVolumeAndEnvFrom_AreFilesAndVariables()
    {
        await using var cluster = await StartAsync();
        cluster.Store.Create(ResourceRef.ConfigMaps, Ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "settings" },
            ["data"] = new JsonObject { ["mode"] = "fast", ["config.yaml"] = "a: 1\n" },
        }).Unwrap();
        var job = Job("configured", "/bin/sh", "-c", """printf '%s %s' "$MODE" "$(cat "$1")" > "$2" """, "sh", "/etc/app/config.yaml", "/dev/termination-log");
        var container = MainContainer(job);
        container["env"] = new JsonArray(new JsonObject
        {
            ["name"] = "MODE",
            ["valueFrom"] = new JsonObject { ["configMapKeyRef"] = new JsonObject { ["name"] = "settings", ["key"] = "mode" } },
        });
        container["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "cfg", ["mountPath"] = "/etc/app" });
        job["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "cfg", ["configMap"] = new JsonObject { ["name"] = "settings" } });
        Create(cluster, job);

        await WaitFinishedAsync(cluster, "configured");

        Terminated(PodsOf(cluster, "configured").Single())!["message"]!.GetValue<string>().Should().Be("fast a: 1");
    }

    [Fact]
    public async Task ResourceFieldRef_IsRefusedWithAClearMessage()
    {
        await using var cluster = await StartAsync();
        var job = Shell("limits", "true");
        MainContainer(job)["env"] = new JsonArray(new JsonObject
        {
            ["name"] = "CPU",
            ["valueFrom"] = new JsonObject { ["resourceFieldRef"] = new JsonObject { ["resource"] = "limits.cpu" } },
        });
        Create(cluster, job);

        await WaitFinishedAsync(cluster, "limits");

        var terminated = Terminated(PodsOf(cluster, "limits").Single())!;
        terminated["reason"]!.GetValue<string>().Should().Be("StartError");
        terminated["message"]!.GetValue<string>().Should().Be(
            "container \"main\": env CPU: valueFrom.resourceFieldRef is not supported by the local job runner (supported: value, and valueFrom fieldRef, configMapKeyRef and secretKeyRef)");
    }

    [Fact]
    public async Task StoppingTheServer_KillsRunningProcesses()
    {
        var cluster = await StartAsync();
        JsonObject running;
        List<int> processes;
        try
        {
            Create(cluster, Shell("left-running", "sleep 3600.505 & echo up; wait"));
            running = await WaitFirstPodAsync(cluster, "left-running", p => Phase(p) == "Running", "phase Running");
            await FirstLogLineAsync(cluster, running);
            processes = ProcessesWith("3600.505").Append(ProcessId(running)).Distinct().ToList();
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        cluster.Server.JobRunner!.RunningProcesses.Should().Be(0);
        processes.Should().HaveCount(2, "the shell and its background sleep");
        foreach (var pid in processes)
        {
            (await ExitedAsync(pid)).Should().BeTrue($"process {pid} must not outlive the server");
        }
    }

    /// <summary>Waits (following the log) for the container's first line: the script got past its first command.</summary>
    private static async Task<string> FirstLogLineAsync(TestCluster cluster, JsonObject pod)
    {
        using var timeout = new CancellationTokenSource(RunnerSupport.Patience);
        await foreach (var chunk in cluster.Server.Logs.StreamAsync(Ns, pod["metadata"]!["name"]!.GetValue<string>(), "main", new PodLogOptions { Follow = true }, timeout.Token))
        {
            return chunk;
        }
        throw new InvalidOperationException("the log ended without a line");
    }

    private static JsonObject? Condition(JsonObject pod, string type) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
}
