using System.Text.Json.Serialization;

namespace K8sFlow.Benchmarks.Measuring;

/// <summary>
/// One scenario's result: the positional members are exactly the bench-results.json schema of issue 6; the
/// others are diagnostics for the console only (not serialized).
/// </summary>
public sealed record ScenarioMeasurement(
    string Scenario,
    int Tasks,
    int Runs,
    double WallSeconds,
    double TransitionsPerSecond,
    double? SchedulingLatencyP50Ms,
    double? SchedulingLatencyP99Ms,
    double ApiRequestsPerTask,
    long StatusBytes,
    double PeakRssMiB)
{
    [JsonIgnore]
    public long Transitions { get; init; }

    [JsonIgnore]
    public long OperatorRequests { get; init; }

    [JsonIgnore]
    public long OperatorWatchRequests { get; init; }

    [JsonIgnore]
    public long OperatorErrors { get; init; }
}
