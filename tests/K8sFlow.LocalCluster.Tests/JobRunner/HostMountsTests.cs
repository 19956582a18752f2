using System.Text.Json.Nodes;
using static K8sFlow.LocalCluster.Tests.JobRunner.RunnerSupport;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary><see cref="K8sFlow.LocalCluster.JobRunner.JobRunnerOptions.HostMounts"/>: container paths every process sees as local directories.</summary>
public sealed class HostMountsTests : IDisposable
{
    private readonly DirectoryInfo _app = Directory.CreateTempSubdirectory("k8sflow-hostmounts-");

    public void Dispose() => _app.Delete(recursive: true);

    [Fact]
    public async Task HostMount_ArgumentUnderContainerPath_ReadsTheLocalDirectory()
    {
        File.WriteAllText(Path.Combine(_app.FullName, "message.json"), """{"from":"host"}""");
        await using var cluster = await StartAsync(runner: o => o with { HostMounts = new Dictionary<string, string> { ["/app"] = _app.FullName } });
        var job = Shell("reader", """cat "$0" > "$K8SFLOW_OUTPUT" """);
        MainContainer(job)["args"] = new JsonArray("/app/message.json");
        MainContainer(job)["env"] = new JsonArray(new JsonObject { ["name"] = "K8SFLOW_OUTPUT", ["value"] = "/dev/termination-log" });
        Create(cluster, job);

        await WaitFinishedAsync(cluster, "reader");

        var terminated = Terminated(PodsOf(cluster, "reader").Single())!;
        terminated["exitCode"]!.GetValue<int>().Should().Be(0, terminated.ToJsonString());
        terminated["message"]!.GetValue<string>().Should().Be("""{"from":"host"}""");
    }

    [Fact]
    public async Task HostMount_PodMountsTheSamePath_PodsOwnVolumeWins()
    {
        File.WriteAllText(Path.Combine(_app.FullName, "message.json"), "host");
        await using var cluster = await StartAsync(runner: o => o with { HostMounts = new Dictionary<string, string> { ["/app"] = _app.FullName } });
        var job = Shell("own", """test ! -e "$0" """);
        MainContainer(job)["args"] = new JsonArray("/app/message.json");
        MainContainer(job)["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "scratch", ["mountPath"] = "/app" });
        job["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "scratch", ["emptyDir"] = new JsonObject() });
        Create(cluster, job);

        await WaitFinishedAsync(cluster, "own");

        Terminated(PodsOf(cluster, "own").Single())!["exitCode"]!.GetValue<int>().Should().Be(0, "/app is the pod's empty volume, not the host directory");
    }
}
