using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Benchmarks.Measuring;
using K8sFlow.Benchmarks.Scenarios;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Crds;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Store;
using WriteOptions = K8sFlow.LocalCluster.Store.WriteOptions;

namespace K8sFlow.Benchmarks.Running;

/// <summary>How scenarios run: the operator binary and how long to wait.</summary>
public sealed record BenchSettings(string K8sflowPath, TimeSpan Bound, TimeSpan StallBound)
{
    /// <summary>Bound of the operator's start-up (process start, informer sync).</summary>
    public TimeSpan ReadinessBound { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The container memory limit the operator runs as if under (null: none, the heap grows as the GC likes).</summary>
    public int? OperatorMemoryLimitMiB { get; init; }
}

/// <summary>A scenario's measurement, or why it failed; <see cref="Usage"/> when the operator got that far.</summary>
public sealed record ScenarioOutcome(string Scenario, ScenarioMeasurement? Measurement, OperatorUsage? Usage, string? Failure, string? OperatorLog);

/// <summary>
/// Runs one scenario on a fresh local cluster (simulated job runner: pods finish at once) with a fresh operator
/// process: applies its Dags, waits for the operator, starts the clock, creates its runs, waits on the watches until
/// every expected run has Succeeded, and measures.
/// </summary>
public static class ScenarioRunner
{
    /// <summary>The field manager and User-Agent of the harness's own writes, told apart from the operator's.</summary>
    public const string HarnessAgent = "k8sflow-bench";

    public static async Task<ScenarioOutcome> RunAsync(Scenario scenario, BenchSettings settings, CancellationToken cancellationToken)
    {
        var workDirectory = Directory.CreateTempSubdirectory($"k8sflow-bench-{scenario.Name}-");
        var operatorLog = Path.Combine(workDirectory.FullName, "operator.log");
        var time = TimeProvider.System;
        await using var measurer = new Measurer(scenario, time);
        await using var server = await LocalClusterServer.StartAsync(new LocalClusterOptions
        {
            JobRunner = new JobRunnerOptions { Mode = JobRunnerMode.Simulated },
            RequestLog = measurer.OnRequest,
        }, cancellationToken);
        var kubeconfig = Path.Combine(workDirectory.FullName, "kubeconfig");
        await server.WriteKubeconfigAsync(kubeconfig, cancellationToken);
        await InstallAsync(server, kubeconfig, cancellationToken);
        measurer.Attach(server.Store);
        if (!scenario.TimedFromDag)
        {
            ApplyDags(server.Store, scenario);
        }

        OperatorUsage? usage = null;
        var @operator = OperatorProcess.Start(settings.K8sflowPath, kubeconfig, Scenario.Namespace, scenario.OperatorFlags, operatorLog,
            settings.OperatorMemoryLimitMiB);
        try
        {
            await @operator.WaitUntilReadyAsync(settings.ReadinessBound, cancellationToken);
            measurer.MarkStart();
            if (scenario.TimedFromDag)
            {
                ApplyDags(server.Store, scenario);
            }
            foreach (var run in scenario.Runs)
            {
                Create(server.Store, Resources.DagRuns, run);
            }
            var finishedAt = await WaitForCompletionAsync(measurer, @operator, settings, cancellationToken);
            usage = await @operator.StopAsync();
            await measurer.StopAsync();
            var measurement = measurer.Measure(finishedAt, usage.PeakRssMiB);
            workDirectory.Delete(recursive: true); // kept only when the scenario fails, for its operator log
            return new ScenarioOutcome(scenario.Name, measurement, usage, null, null);
        }
        catch (Exception e) when (e is ScenarioFailedException or TimeoutException or InvalidOperationException)
        {
            usage ??= await @operator.StopAsync();
            return new ScenarioOutcome(scenario.Name, null, usage, e.Message, operatorLog);
        }
        finally
        {
            await @operator.DisposeAsync();
        }
    }

    /// <summary>
    /// Waits for the measurer's completion: bounded overall, and failing early when neither a DagRun nor a Job event
    /// arrived for <see cref="BenchSettings.StallBound"/> (a stuck operator) or when the operator exits.
    /// </summary>
    private static async Task<long> WaitForCompletionAsync(Measurer measurer, OperatorProcess @operator, BenchSettings settings,
        CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!measurer.Completion.IsCompleted)
        {
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            if (elapsed >= settings.Bound)
            {
                throw new TimeoutException($"not done after {settings.Bound.TotalMinutes:0} min: {measurer.Progress}");
            }
            if (measurer.SinceLastProgress >= settings.StallBound)
            {
                throw new TimeoutException($"no DagRun or Job event for {settings.StallBound.TotalSeconds:0} s: {measurer.Progress}; "
                    + $"{measurer.OperatorErrors} operator requests failed");
            }
            var wait = Min(settings.StallBound - measurer.SinceLastProgress, settings.Bound - elapsed);
            var woke = await Task.WhenAny(measurer.Completion, @operator.Exited, Task.Delay(wait, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested(); // Ctrl+C: the finally of RunAsync stops the operator
            if (woke == @operator.Exited)
            {
                throw new InvalidOperationException($"the operator exited early: {measurer.Progress}");
            }
        }
        return await measurer.Completion;

        static TimeSpan Min(TimeSpan a, TimeSpan b) => TimeSpan.FromTicks(Math.Max(0, Math.Min(a.Ticks, b.Ticks)));
    }

    /// <summary>K8sFlow's CRDs through the API (as `k8sflow dev` installs them) and the scenario's namespace.</summary>
    private static async Task InstallAsync(LocalClusterServer server, string kubeconfig, CancellationToken cancellationToken)
    {
        using var client = KubeClient.Create(KubeConfig.LoadFile(kubeconfig).ToConnection(),
            new KubeClientOptions { FieldManager = HarnessAgent, UserAgent = HarnessAgent });
        await CrdInstaller.InstallAsync(client, HarnessAgent, cancellationToken: cancellationToken);
        server.Store.Create(ResourceRef.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = Scenario.Namespace } }).Unwrap();
    }

    private static void ApplyDags(ClusterStore store, Scenario scenario)
    {
        foreach (var dag in scenario.Dags)
        {
            Create(store, Resources.Dags, dag);
        }
    }

    /// <summary>Writes straight to the store (same validation as the HTTP API): the harness's writes cost the operator nothing.</summary>
    private static void Create<T>(ClusterStore store, ResourceRef resource, T manifest) where T : notnull =>
        store.Create(resource, Scenario.Namespace, JsonSerializer.SerializeToNode(manifest, KubeJson.Options)!.AsObject(),
            new WriteOptions { FieldManager = HarnessAgent, FieldValidation = FieldValidation.Strict }).Unwrap();
}
