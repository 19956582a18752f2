namespace K8sFlow.Operator.Tests.Fakes;

/// <summary>Generous bounds for asynchronous work in tests: a wait that hits one fails the test, nothing sleeps.</summary>
public static class Wait
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static CancellationToken Token() => new CancellationTokenSource(Bound).Token;
}

/// <summary>Something changed: waiters re-check their condition on every <see cref="Set"/> (no polling, no sleeps).</summary>
public sealed class Signal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    /// <summary>Returns once <paramref name="condition"/> holds; throws TimeoutException (with <paramref name="what"/>) after <see cref="Wait.Bound"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string? what = null)
    {
        using var timeout = new CancellationTokenSource(Wait.Bound);
        while (true)
        {
            Task next;
            lock (_lock)
            {
                next = _next.Task;
            }
            if (condition())
            {
                return;
            }
            try
            {
                await next.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"condition not met within {Wait.Bound.TotalSeconds}s: {what ?? "(unnamed)"}");
            }
        }
    }
}
