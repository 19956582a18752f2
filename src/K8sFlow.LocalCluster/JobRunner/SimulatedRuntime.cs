using System.Globalization;
using System.Text.Json.Nodes;
using K8sFlow.Core;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Logs;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// Runs nothing: every start of an app container ends with the pod's <see cref="SimulatedOutcome"/>
/// (options callback, asked once per start, else <see cref="SimulationAnnotations"/>, else the default)
/// after its duration on the store's clock; init containers succeed at once.
/// </summary>
internal sealed class SimulatedRuntime(JobRunnerOptions options, IPodLogStore logs, TimeProvider time) : IContainerRuntime
{
    private static readonly PodPreparation.Ready Prepared = new(new Dictionary<string, ContainerLaunch>());

    public int SlotsFor(JsonObject pod) => 0;

    public PodPreparation Prepare(JsonObject pod) => Prepared;

    public ContainerStart Start(JsonObject pod, JsonObject container, PodPreparation.Ready prepared, CancellationToken kill)
    {
        var name = KubeJson.AsString(container["name"]) ?? "";
        var init = (pod["spec"]?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().Any(c => KubeJson.AsString(c["name"]) == name);
        string? error = null;
        var outcome = init ? new SimulatedOutcome() : OutcomeFor(pod, out error);
        if (outcome is null)
        {
            return new ContainerStart.Failed(error!);
        }
        var now = time.GetUtcNow();
        var lines = outcome.LogLines.Count > 0 ? outcome.LogLines : [$"simulated container {name}: exit code {outcome.ExitCode}"];
        foreach (var line in lines)
        {
            logs.Append(pod.Namespace(), pod.Name(), name, line, now);
        }
        var id = $"simulated://{pod.Uid()}/{name}";
        var exit = outcome.Duration <= TimeSpan.Zero
            ? Task.FromResult(new ContainerExitReport(outcome.ExitCode, now, outcome.Message))
            : RunForAsync(outcome, kill);
        return new ContainerStart.Running(now, id, exit);
    }

    private async Task<ContainerExitReport> RunForAsync(SimulatedOutcome outcome, CancellationToken kill)
    {
        try
        {
            await Task.Delay(outcome.Duration, time, kill);
            return new ContainerExitReport(outcome.ExitCode, time.GetUtcNow(), outcome.Message);
        }
        catch (OperationCanceledException)
        {
            return new ContainerExitReport(137, time.GetUtcNow(), "");
        }
    }

    public void Release(string ns, string pod, string uid)
    {
    }

    /// <summary>The outcome for a pod; null (with <paramref name="error"/>) when an annotation is malformed.</summary>
    private SimulatedOutcome? OutcomeFor(JsonObject pod, out string? error)
    {
        error = null;
        if (options.Simulate?.Invoke(pod) is { } decided)
        {
            return decided;
        }
        var outcome = options.SimulatedDefault;
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        if (KubeJson.AsString(annotations?[SimulationAnnotations.ExitCode]) is { } code)
        {
            if (!int.TryParse(code, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exitCode) || exitCode is < 0 or > 255)
            {
                error = $"annotation {SimulationAnnotations.ExitCode}: \"{code}\" is not an exit code (an integer from 0 to 255)";
                return null;
            }
            outcome = outcome with { ExitCode = exitCode };
        }
        if (KubeJson.AsString(annotations?[SimulationAnnotations.Duration]) is { } duration)
        {
            if (!Durations.TryParse(duration, out var parsed))
            {
                error = $"annotation {SimulationAnnotations.Duration}: \"{duration}\" is not a duration (e.g. 500ms, 2s, 1m30s)";
                return null;
            }
            outcome = outcome with { Duration = parsed };
        }
        if (KubeJson.AsString(annotations?[SimulationAnnotations.Message]) is { } message)
        {
            outcome = outcome with { Message = message };
        }
        if (KubeJson.AsString(annotations?[SimulationAnnotations.Logs]) is { } text)
        {
            outcome = outcome with { LogLines = text.TrimEnd('\n').Split('\n') };
        }
        return outcome;
    }
}
