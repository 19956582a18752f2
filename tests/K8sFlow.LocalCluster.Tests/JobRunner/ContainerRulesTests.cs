using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Logs;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary>Path mapping, $(VAR) expansion, termination messages and pod phases: the kubelet's small rules.</summary>
public sealed class ContainerRulesTests
{
    private static readonly PathMap Paths = new([
        ("/workspace", "/data/claims/ws"),
        ("/workspace/cache/", "/data/pod/volumes/cache"),
        ("/dev/termination-log", "/data/pod/containers/main/termination-log"),
    ]);

    [Theory]
    [InlineData("/workspace", "/data/claims/ws")]
    [InlineData("/workspace/", "/data/claims/ws")]
    [InlineData("/workspace/raw/iris.csv", "/data/claims/ws/raw/iris.csv")]
    [InlineData("/workspace/cache/model.pkl", "/data/pod/volumes/cache/model.pkl")]
    [InlineData("/dev/termination-log", "/data/pod/containers/main/termination-log")]
    [InlineData("--out=/workspace/bronze", "--out=/data/claims/ws/bronze")]
    [InlineData("K8SFLOW_OUTPUT=/dev/termination-log", "K8SFLOW_OUTPUT=/data/pod/containers/main/termination-log")]
    [InlineData("/workspaces", "/workspaces")]
    [InlineData("workspace/x", "workspace/x")]
    [InlineData("/usr/bin/python3", "/usr/bin/python3")]
    [InlineData("/workspace/a:/workspace/b", "/data/claims/ws/a:/workspace/b")]
    [InlineData("echo hi > /workspace/x", "echo hi > /workspace/x")]
    public void Rewrite_MapsWholeTokensAndValuesAfterEquals(string token, string expected) =>
        Paths.Rewrite(token).Should().Be(expected);

    [Theory]
    [InlineData("$(A)/x", "1/x")]
    [InlineData("$(A)$(B)", "12")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("cost: $$5", "cost: $5")]
    [InlineData("cost: $5", "cost: $5")]
    [InlineData("$(A", "$(A")]
    [InlineData("trailing $", "trailing $")]
    public void Expand_FollowsKubernetesVariableReferences(string input, string expected) =>
        VariableExpansion.Expand(input, name => name switch { "A" => "1", "B" => "2", _ => null }).Should().Be(expected);

    private static readonly LogLine[] Log = [.. Enumerable.Range(1, 100).Select(i => new LogLine(DateTimeOffset.UnixEpoch, $"line {i}"))];

    [Theory]
    [InlineData("written", "FallbackToLogsOnError", 1, "written")]
    [InlineData("", "File", 1, "")]
    [InlineData("", "FallbackToLogsOnError", 0, "")]
    public void Resolve_UsesTheFile_LogsOnlyOnErrorWithAnEmptyFile(string file, string policy, int exitCode, string expected) =>
        TerminationMessages.Resolve(file, policy, exitCode, Log, 4096).Should().Be(expected);

    [Fact]
    public void Resolve_Fallback_IsTheLast80LinesWithin2048Bytes()
    {
        var message = TerminationMessages.Resolve("", "FallbackToLogsOnError", 2, Log, 4096);

        message.Should().EndWith("line 100\n");
        System.Text.Encoding.UTF8.GetByteCount(message).Should().BeLessThanOrEqualTo(2048);
        message.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.Should().BeLessThanOrEqualTo(80);
        TerminationMessages.Resolve("", "FallbackToLogsOnError", 2, Log.Take(3).ToList(), 4096).Should().Be("line 1\nline 2\nline 3\n");
    }

    [Theory]
    [InlineData(1, 4096)]
    [InlineData(3, 4096)]
    [InlineData(4, 3072)]
    public void Limit_Is4096PerContainer_12KiBPerPod(int containers, int limit) =>
        TerminationMessages.LimitFor(containers).Should().Be(limit);

    [Fact]
    public void Truncate_CutsBytesNotCharacters() =>
        TerminationMessages.Truncate("ééé", 4).Should().Be("éé");

    private static PodStatusModel Model(string restartPolicy, int containers = 1)
    {
        var pod = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["restartPolicy"] = restartPolicy,
                ["containers"] = new JsonArray(Enumerable.Range(0, containers).Select(i => (JsonNode)new JsonObject { ["name"] = $"c{i}", ["image"] = "x" }).ToArray()),
            },
            ["status"] = new JsonObject { ["qosClass"] = "BestEffort" },
        };
        return new PodStatusModel(pod) { StartTime = DateTimeOffset.UnixEpoch };
    }

    private static ContainerTermination Exit(int code) => new(code, code == 0 ? "Completed" : "Error", "", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null);

    [Theory]
    [InlineData(new[] { 0 }, "Succeeded")]
    [InlineData(new[] { 2 }, "Failed")]
    [InlineData(new[] { 0, 0 }, "Succeeded")]
    [InlineData(new[] { 0, 1 }, "Failed")]
    [InlineData(new[] { 0, -1 }, "Running")]
    public void Phase_FollowsTheAppContainers(int[] exits, string phase)
    {
        var model = Model("Never", exits.Length);
        for (var i = 0; i < exits.Length; i++)
        {
            if (exits[i] < 0)
            {
                model.SetRunning($"c{i}", DateTimeOffset.UnixEpoch, "local://1");
            }
            else
            {
                model.SetTerminated($"c{i}", Exit(exits[i]));
            }
        }

        model.Phase.Should().Be(phase);
    }

    [Theory]
    [InlineData("Never", 1, false)]
    [InlineData("OnFailure", 1, true)]
    [InlineData("OnFailure", 0, false)]
    [InlineData("Always", 0, true)]
    public void ShouldRestart_FollowsRestartPolicy(string restartPolicy, int exitCode, bool restart) =>
        Model(restartPolicy).ShouldRestart(exitCode).Should().Be(restart);

    [Fact]
    public void Status_OfAFinishedContainer_HasTheKubeletShape()
    {
        var model = Model("Never");
        model.SandboxReady = true;
        model.SetTerminated("c0", new ContainerTermination(0, "Completed", "done", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(5), "local://7"));

        var status = model.ToStatus(DateTimeOffset.UnixEpoch.AddSeconds(5));

        status["phase"]!.GetValue<string>().Should().Be("Succeeded");
        status["startTime"]!.GetValue<string>().Should().Be("1970-01-01T00:00:00Z");
        var terminated = status["containerStatuses"]![0]!["state"]!["terminated"]!;
        terminated.ToJsonString().Should().Be(
            """{"exitCode":0,"reason":"Completed","startedAt":"1970-01-01T00:00:00Z","finishedAt":"1970-01-01T00:00:05Z","message":"done","containerID":"local://7"}""");
        var ready = status["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Ready")!;
        (ready["status"]!.GetValue<string>(), ready["reason"]!.GetValue<string>()).Should().Be(("False", "PodCompleted"));
    }
}
