using System.Collections.Concurrent;
using System.Globalization;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Operator.Hosting;

namespace K8sFlow.Operator.Controllers;

/// <summary>Whether a Queued run may start now, why not, and when to look again without an event.</summary>
public sealed record Admission(bool MayStart, string? Reason, TimeSpan? RecheckAfter)
{
    public static Admission Start { get; } = new(true, null, null);

    public static Admission Wait(string reason, TimeSpan? recheckAfter = null) => new(false, reason, recheckAfter);
}

/// <summary>
/// maxActiveRuns admission (spec §1.6): a Queued run starts only while the Dag is not paused, its runAfter has
/// come, and fewer than maxActiveRuns runs of the Dag are Running; waiting runs start in logical-date order.
/// Decided under a per-Dag lock. Runs admitted here but still Queued in the cache (their status write not yet
/// seen) count as running, so two workers never both fill the last slot.
/// </summary>
public sealed class RunAdmission(OperatorCache cache)
{
    public const int DefaultMaxActiveRuns = 16;

    private readonly ConcurrentDictionary<string, DagSlots> _dags = new(StringComparer.Ordinal);

    /// <param name="run">The run to decide, as the reconcile read it.</param>
    /// <param name="pinned">The run's pinned spec: its limits apply when the Dag is gone.</param>
    /// <param name="dag">The Dag as it is now: paused and maxActiveRuns are read from it.</param>
    /// <param name="now">The reconcile's time (runAfter).</param>
    public Admission Decide(DagRun run, DagSpec pinned, Dag? dag, DateTimeOffset now)
    {
        var spec = dag?.Spec ?? pinned;
        if (spec.Paused == true)
        {
            return Admission.Wait($"Dag {run.Spec.DagName} is paused");
        }
        if (RunAfter(run) is { } runAfter && runAfter > now)
        {
            return Admission.Wait($"waiting for runAfter {Names.FormatIso(runAfter)}", runAfter - now);
        }
        var max = spec.MaxActiveRuns ?? DefaultMaxActiveRuns;
        var ns = run.Metadata.Namespace!;
        var key = OperatorCache.KeyOf(run);
        var slots = _dags.GetOrAdd(OperatorCache.IndexKey(ns, run.Spec.DagName), _ => new DagSlots());
        lock (slots)
        {
            var runs = cache.RunsOf(ns, run.Spec.DagName);
            var byKey = runs.ToDictionary(OperatorCache.KeyOf, StringComparer.Ordinal);
            // Admitted runs leave the set once the cache shows them started (or gone).
            slots.Admitted.RemoveWhere(k => !byKey.TryGetValue(k, out var r) || !IsQueued(r));
            if (slots.Admitted.Contains(key))
            {
                return Admission.Start;
            }
            var running = runs.Count(r => r.Status?.Phase == RunPhase.Running) + slots.Admitted.Count;
            var ahead = runs.Count(r => OperatorCache.KeyOf(r) != key && IsQueued(r) && !slots.Admitted.Contains(OperatorCache.KeyOf(r))
                && r.Spec.Cancel != true && r.Metadata.DeletionTimestamp is null
                && (RunAfter(r) is not { } after || after <= now)
                && RunsBefore(r, run));
            if (running + ahead < max)
            {
                slots.Admitted.Add(key);
                return Admission.Start;
            }
            var limit = $"maxActiveRuns ({max.ToString(CultureInfo.InvariantCulture)}) reached: {running.ToString(CultureInfo.InvariantCulture)} running";
            return Admission.Wait(ahead == 0 ? limit : $"{limit}, {ahead.ToString(CultureInfo.InvariantCulture)} queued ahead");
        }
    }

    /// <summary>Forgets a run that no longer exists.</summary>
    public void Forget(string @namespace, string dagName, string key)
    {
        if (_dags.TryGetValue(OperatorCache.IndexKey(@namespace, dagName), out var slots))
        {
            lock (slots)
            {
                slots.Admitted.Remove(key);
            }
        }
    }

    private static bool IsQueued(DagRun run) => run.Status?.Phase is null or RunPhase.Queued;

    private static DateTimeOffset? RunAfter(DagRun run) => run.Status?.RunAfter ?? run.Spec.RunAfter;

    /// <summary>Logical-date order; runs without one by creation time; the name breaks ties.</summary>
    private static bool RunsBefore(DagRun a, DagRun b)
    {
        var byDate = OrderDate(a).CompareTo(OrderDate(b));
        return byDate != 0 ? byDate < 0 : string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name) < 0;
    }

    private static DateTimeOffset OrderDate(DagRun run) =>
        run.Status?.LogicalDate ?? run.Spec.LogicalDate ?? run.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue;

    private sealed class DagSlots
    {
        public HashSet<string> Admitted { get; } = new(StringComparer.Ordinal);
    }
}
