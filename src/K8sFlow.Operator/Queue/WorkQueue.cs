using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Queue;

public sealed record WorkQueueOptions
{
    /// <summary>Backoff after a key's first failure; doubles with each further failure of that key.</summary>
    public TimeSpan BaseRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the per-key backoff.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// A work queue of keys (client-go's workqueue semantics): a key waiting to be processed is queued once however
/// often it is added; a key is never processed by two workers at once, and a key added while it is processed
/// is processed again afterwards; <see cref="AddAfter"/> delays on a <see cref="TimeProvider"/>;
/// <see cref="AddRateLimited"/> backs off exponentially per key until <see cref="Forget"/>.
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private readonly WorkQueueOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = [];      // queued, or added again while processing
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, DelayedAdd> _delayed = [];
    private readonly SemaphoreSlim _available = new(0); // one count per key in _queue
    private bool _disposed;

    public WorkQueue(WorkQueueOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new WorkQueueOptions();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Keys waiting for a worker (not counting those being processed or delayed).</summary>
    public int Depth
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Keys waiting for their <see cref="AddAfter"/> or backoff delay.</summary>
    public int DelayedCount
    {
        get
        {
            lock (_lock)
            {
                return _delayed.Count;
            }
        }
    }

    public void Add(TKey key)
    {
        lock (_lock)
        {
            if (_disposed || !_dirty.Add(key) || _processing.Contains(key))
            {
                return; // already waiting, or re-queued by Done when its current processing ends
            }
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    /// <summary>Adds <paramref name="key"/> after <paramref name="delay"/>; of several pending delays the earliest wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            var due = _time.GetUtcNow() + delay;
            if (_delayed.TryGetValue(key, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }
                pending.Timer.Dispose();
            }
            var entry = new DelayedAdd(due);
            _delayed[key] = entry;
            entry.Timer = _time.CreateTimer(_ => Fire(key, entry), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Adds <paramref name="key"/> after its backoff (base * 2^failures, capped) and counts a failure; returns the delay.</summary>
    public TimeSpan AddRateLimited(TKey key)
    {
        TimeSpan delay;
        lock (_lock)
        {
            var failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            delay = BackoffFor(failures);
        }
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Resets the key's backoff (call after a successful processing).</summary>
    public void Forget(TKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Consecutive failures of <paramref name="key"/> since the last <see cref="Forget"/>.</summary>
    public int Failures(TKey key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>The next key to process; the caller owns it until <see cref="Done"/>.</summary>
    public async Task<TKey> TakeAsync(CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            var key = _queue.Dequeue();
            _dirty.Remove(key);
            _processing.Add(key);
            return key;
        }
    }

    /// <summary>Ends processing of <paramref name="key"/>; if it was added meanwhile it is queued again.</summary>
    public void Done(TKey key)
    {
        lock (_lock)
        {
            _processing.Remove(key);
            if (_disposed || !_dirty.Contains(key))
            {
                return;
            }
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    /// <summary>
    /// Runs <paramref name="workers"/> workers until cancelled. Each result requeues its key as
    /// <see cref="ReconcileResult"/> says; an exception counts as <see cref="RequeueKind.Backoff"/>.
    /// </summary>
    public Task RunWorkersAsync(int workers, Func<TKey, CancellationToken, Task<ReconcileResult>> process, ILogger? logger,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(process, logger, cancellationToken), CancellationToken.None)));
    }

    private async Task WorkAsync(Func<TKey, CancellationToken, Task<ReconcileResult>> process, ILogger? logger, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TKey key;
            try
            {
                key = await TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                var result = await process(key, cancellationToken).ConfigureAwait(false);
                Requeue(key, result, logger);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var delay = AddRateLimited(key);
                logger?.LogError(e, "Processing {Key} failed; retrying in {Delay}", key, delay);
            }
            finally
            {
                Done(key);
            }
        }
    }

    private void Requeue(TKey key, ReconcileResult result, ILogger? logger)
    {
        switch (result.Kind)
        {
            case RequeueKind.Done:
                Forget(key);
                break;
            case RequeueKind.After:
                Forget(key);
                AddAfter(key, result.Delay ?? TimeSpan.Zero);
                break;
            case RequeueKind.Now:
                Add(key);
                break;
            case RequeueKind.Backoff:
                var delay = AddRateLimited(key);
                logger?.LogWarning("Processing {Key} failed: {Reason}; retrying in {Delay}", key, result.Reason, delay);
                break;
        }
    }

    private TimeSpan BackoffFor(int failures)
    {
        var max = _options.MaxRetryDelay.Ticks;
        var ticks = _options.BaseRetryDelay.Ticks;
        for (var i = 0; i < failures && ticks < max; i++)
        {
            ticks *= 2;
        }
        return TimeSpan.FromTicks(Math.Min(ticks, max));
    }

    private void Fire(TKey key, DelayedAdd entry)
    {
        lock (_lock)
        {
            if (!_delayed.TryGetValue(key, out var current) || current != entry)
            {
                return; // replaced by an earlier delay
            }
            _delayed.Remove(key);
            entry.Timer.Dispose();
        }
        Add(key);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var pending in _delayed.Values)
            {
                pending.Timer.Dispose();
            }
            _delayed.Clear();
        }
        // _available is left to the GC: workers may still be waiting on it until their token is cancelled.
    }

    private sealed class DelayedAdd(DateTimeOffset due)
    {
        public DateTimeOffset Due { get; } = due;
        public ITimer Timer { get; set; } = null!;
    }
}
