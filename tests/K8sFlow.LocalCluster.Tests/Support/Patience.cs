namespace K8sFlow.LocalCluster.Tests.Support;

/// <summary>Every wait in these tests is bounded: an awaited event that never comes fails the test instead of hanging it.</summary>
public static class Patience
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Bound);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Bound);
}
