using K8sFlow.LocalCluster.Tests.Support;
using K8sFlow.Tests.Shared;
using static K8sFlow.LocalCluster.Tests.JobRunner.RunnerSupport;

namespace K8sFlow.LocalCluster.Tests.JobRunner;

/// <summary>The real kubectl against a local cluster whose job runner runs processes: what a user sees.</summary>
public sealed class KubectlJobTests
{
    private const string JobYaml = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: greet
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: python:3.12
                command: ["/bin/sh", "-c"]
                args:
                - |
                  echo "hello from $HOSTNAME"; echo "rows=42"; printf '{"rows": "42"}' > "$K8SFLOW_OUTPUT"
                env:
                - name: K8SFLOW_OUTPUT
                  value: /dev/termination-log
        """;

    private static async Task<string> Ok(TestCluster cluster, params string[] args)
    {
        var result = await Kubectl.RunAsync(cluster, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(" ", args)} failed: {result}");
        return result.Stdout;
    }

    [Fact]
    public async Task CreateJob_KubectlShowsLogsCompleteConditionAndTerminationMessage()
    {
        await using var cluster = await StartAsync();
        var manifest = Path.Combine(cluster.Directory, "job.yaml");
        await File.WriteAllTextAsync(manifest, JobYaml);

        (await Ok(cluster, "create", "-f", manifest)).Should().Contain("job.batch/greet created");
        await WaitFinishedAsync(cluster, "greet");
        var pod = PodsOf(cluster, "greet").Single()["metadata"]!["name"]!.GetValue<string>();

        (await Ok(cluster, "logs", "job/greet")).Should().Be($"hello from {pod}\nrows=42\n");
        (await Ok(cluster, "get", "job", "greet", "-o", """jsonpath={.status.conditions[?(@.type=="Complete")].status}""")).Should().Be("True");
        (await Ok(cluster, "get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].state.terminated.message}")).Should().Be("""{"rows": "42"}""");
        (await Ok(cluster, "get", "jobs")).Should().MatchRegex(@"greet\s+Complete\s+1/1");
    }
}
