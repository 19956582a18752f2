using System.Collections.Concurrent;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.Operator.Queue;
using K8sFlow.Operator.Tests.Fakes;

namespace K8sFlow.Operator.Tests.Queue;

public class WorkQueueTests
{
    private static readonly WorkQueueOptions Backoff = new()
    {
        BaseRetryDelay = TimeSpan.FromSeconds(1),
        MaxRetryDelay = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task Add_SameKeyTwice_QueuedOnce()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");

        queue.Depth.Should().Be(2);
        (await queue.TakeAsync(Wait.Token())).Should().Be("a");
        (await queue.TakeAsync(Wait.Token())).Should().Be("b");
        queue.Depth.Should().Be(0);
    }

    [Fact]
    public async Task Add_WhileProcessing_NotHandedOutUntilDone_ThenProcessedAgain()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        var key = await queue.TakeAsync(Wait.Token());

        queue.Add("a");
        queue.Add("a");
        queue.Depth.Should().Be(0, "a key being processed is not handed to a second worker");

        queue.Done(key);
        queue.Depth.Should().Be(1, "the adds during processing collapse into one more run");
        (await queue.TakeAsync(Wait.Token())).Should().Be("a");
    }

    [Fact]
    public async Task Done_WithoutAddDuringProcessing_DoesNotRequeue()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        queue.Done(await queue.TakeAsync(Wait.Token()));

        queue.Depth.Should().Be(0);
    }

    [Fact]
    public async Task Workers_NeverProcessOneKeyTwiceAtOnce_AndEveryAddIsSeen()
    {
        using var queue = new WorkQueue<int>();
        using var stop = new CancellationTokenSource();
        var inFlight = new ConcurrentDictionary<int, int>();
        var overlaps = 0;
        var lastAdd = new ConcurrentDictionary<int, long>();
        var lastSeen = new ConcurrentDictionary<int, long>();
        long clock = 0;
        var settled = new Signal();

        var workers = queue.RunWorkersAsync(4, async (key, _) =>
        {
            if (inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }
            lastSeen[key] = Interlocked.Increment(ref clock);
            await Task.Yield();
            inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
            settled.Set();
            return ReconcileResult.Done;
        }, null, stop.Token);

        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var key = (i + p) % 5;
                lastAdd[key] = Interlocked.Increment(ref clock);
                queue.Add(key);
            }
        })).ToArray();
        await Task.WhenAll(producers);

        // Every key's last add is followed by a processing that started after it.
        await settled.WaitUntilAsync(() => lastAdd.All(a => lastSeen.TryGetValue(a.Key, out var seen) && seen > a.Value));
        await stop.CancelAsync();
        await workers.WaitAsync(Wait.Bound);

        overlaps.Should().Be(0);
    }

    [Fact]
    public async Task Workers_ProcessDifferentKeysConcurrently()
    {
        using var queue = new WorkQueue<string>();
        using var stop = new CancellationTokenSource();
        var bStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aFinished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var workers = queue.RunWorkersAsync(2, async (key, token) =>
        {
            if (key == "a")
            {
                await bStarted.Task.WaitAsync(Wait.Bound, token); // completes only if b runs while a is in progress
                aFinished.SetResult();
            }
            else
            {
                bStarted.SetResult();
            }
            return ReconcileResult.Done;
        }, null, stop.Token);
        queue.Add("a");
        queue.Add("b");

        await aFinished.Task.WaitAsync(Wait.Bound);
        await stop.CancelAsync();
        await workers.WaitAsync(Wait.Bound);
    }

    [Fact]
    public void AddRateLimited_DoublesPerFailure_CappedAndResetByForget()
    {
        using var queue = new WorkQueue<string>(Backoff, new ManualTimeProvider());

        var delays = Enumerable.Range(0, 6).Select(_ => queue.AddRateLimited("a").TotalSeconds).ToList();

        delays.Should().Equal(1, 2, 4, 8, 10, 10);
        queue.Failures("a").Should().Be(6);
        queue.AddRateLimited("b").Should().Be(TimeSpan.FromSeconds(1), "backoff is per key");
        queue.Forget("a");
        queue.AddRateLimited("a").Should().Be(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void AddRateLimited_KeyArrivesOnlyWhenItsBackoffHasPassed()
    {
        var clock = new ManualTimeProvider();
        using var queue = new WorkQueue<string>(Backoff, clock);
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        queue.AddRateLimited("a"); // 4s, but the pending 1s add is earlier and wins

        queue.Depth.Should().Be(0);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        queue.Depth.Should().Be(0);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        queue.Depth.Should().Be(1);
    }

    [Theory]
    [InlineData(new[] { 10, 5 }, 5)]   // an earlier delay replaces a later one
    [InlineData(new[] { 5, 10 }, 5)]   // a later delay does not postpone an earlier one
    [InlineData(new[] { 7 }, 7)]
    public void AddAfter_KeyArrivesAtTheEarliestRequestedTime(int[] delaysSeconds, int expectedSeconds)
    {
        var clock = new ManualTimeProvider();
        using var queue = new WorkQueue<string>(timeProvider: clock);
        foreach (var delay in delaysSeconds)
        {
            queue.AddAfter("a", TimeSpan.FromSeconds(delay));
        }

        clock.Advance(TimeSpan.FromSeconds(expectedSeconds) - TimeSpan.FromTicks(1));
        queue.Depth.Should().Be(0);
        clock.Advance(TimeSpan.FromTicks(1));
        queue.Depth.Should().Be(1);
        queue.DelayedCount.Should().Be(0);
        clock.Advance(TimeSpan.FromSeconds(60));
        queue.Depth.Should().Be(1, "the replaced delay never fires a second add");
    }

    [Fact]
    public void AddAfter_ZeroDelay_AddsAtOnce()
    {
        using var queue = new WorkQueue<string>(timeProvider: new ManualTimeProvider());
        queue.AddAfter("a", TimeSpan.Zero);
        queue.Depth.Should().Be(1);
    }

    [Fact]
    public async Task RunWorkers_RequeuesAsTheResultSays()
    {
        var clock = new ManualTimeProvider();
        using var queue = new WorkQueue<string>(Backoff, clock);
        using var stop = new CancellationTokenSource();
        var runs = new ConcurrentDictionary<string, int>();
        var changed = new Signal();
        var workers = queue.RunWorkersAsync(2, (key, _) =>
        {
            var n = runs.AddOrUpdate(key, 1, (_, c) => c + 1);
            changed.Set();
            return key switch
            {
                "now" when n == 1 => Task.FromResult(ReconcileResult.Now("conflict")),
                "after" when n == 1 => Task.FromResult(ReconcileResult.After(TimeSpan.FromSeconds(30))),
                "backoff" when n == 1 => Task.FromResult(ReconcileResult.Backoff("API error")),
                "throws" when n == 1 => throw new InvalidOperationException("boom"),
                _ => Task.FromResult(ReconcileResult.Done),
            };
        }, null, stop.Token);
        foreach (var key in new[] { "now", "after", "backoff", "throws", "done" })
        {
            queue.Add(key);
        }

        await changed.WaitUntilAsync(() => runs.GetValueOrDefault("now") == 2 && runs.Count == 5 && queue.DelayedCount == 3);
        runs["done"].Should().Be(1);
        clock.Advance(TimeSpan.FromSeconds(1)); // the first backoff step
        await changed.WaitUntilAsync(() => runs["backoff"] == 2 && runs["throws"] == 2);
        runs["after"].Should().Be(1);
        clock.Advance(TimeSpan.FromSeconds(29));
        await changed.WaitUntilAsync(() => runs["after"] == 2);

        await stop.CancelAsync();
        await workers.WaitAsync(Wait.Bound);
        queue.Failures("backoff").Should().Be(0, "a successful run forgets the failures");
    }
}
