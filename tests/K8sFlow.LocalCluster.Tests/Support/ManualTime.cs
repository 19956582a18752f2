namespace K8sFlow.LocalCluster.Tests.Support;

/// <summary>A clock tests move by hand (timestamps, ages, log since-filters).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
