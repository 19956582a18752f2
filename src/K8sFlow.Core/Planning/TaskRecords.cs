using System.Globalization;
using System.Text;
using System.Text.Json;
using K8sFlow.Core.Api;

namespace K8sFlow.Core.Planning;

/// <summary>
/// Keeps a DagRun object small for runs of thousands of tasks. While the task records fit
/// <see cref="FullRecordsBudgetBytes"/>, every task has a full record in status.tasks. Past it (and from then on,
/// so the form does not flip back and forth), records that say nothing beyond their state are written compactly:
/// status.compactTasks maps a state to ranges of indexes into the pinned spec's tasks ("0-4999,5001"). Records with
/// detail a user or the planner needs (failures, retries, outputs, clears) always stay full. What a compact record
/// drops (Job name, times) is on the task's Job, which lives as long as the run.
/// </summary>
public static class TaskRecords
{
    /// <summary>
    /// 64 KiB of full records (about 300 finished tasks): with managedFields and the rest of the object, a run of
    /// any size stays far below etcd's 1.5 MiB and within 256 KiB for 10,000 tasks.
    /// </summary>
    public const int FullRecordsBudgetBytes = 64 * 1024;

    /// <summary>
    /// The status to write: <paramref name="status"/> unchanged while its records fit the budget and
    /// <paramref name="keepCompact"/> is false (the run was never compacted), otherwise with every compactable
    /// record moved to status.compactTasks.
    /// </summary>
    public static DagRunStatus Compact(DagRunStatus status, DagSpec spec, bool keepCompact, int budgetBytes = FullRecordsBudgetBytes)
    {
        if (status.Tasks is not { Count: > 0 } tasks || (!keepCompact && !Exceeds(tasks, budgetBytes)))
        {
            return status;
        }
        var specIndex = SpecIndex(spec);
        var full = new List<TaskInstanceStatus>();
        var compact = new SortedDictionary<TaskState, List<int>>();
        foreach (var task in tasks)
        {
            if (IsCompactable(task) && specIndex.TryGetValue(task.Name, out var index))
            {
                if (task.State != TaskState.None) // a task without a record is none
                {
                    (compact.TryGetValue(task.State, out var list) ? list : compact[task.State] = []).Add(index);
                }
            }
            else
            {
                full.Add(task);
            }
        }
        return status with
        {
            Tasks = full,
            CompactTasks = compact.ToDictionary(e => e.Key, e => FormatRanges(e.Value)),
        };
    }

    /// <summary>
    /// Every task's record, in the pinned spec's order (then records of tasks no longer in it): compact records
    /// expanded, tasks without any record as none. The form the planner and the CLI work on.
    /// </summary>
    public static DagRunStatus Expand(DagRunStatus status, DagSpec spec, string runName)
    {
        if (status.CompactTasks is null)
        {
            return status;
        }
        var byName = new Dictionary<string, TaskInstanceStatus>(StringComparer.Ordinal);
        foreach (var task in status.Tasks ?? [])
        {
            byName.TryAdd(task.Name, task);
        }
        foreach (var (state, ranges) in status.CompactTasks)
        {
            foreach (var index in ParseRanges(ranges).Where(i => i < spec.Tasks.Count))
            {
                var name = spec.Tasks[index].Name;
                var tryNumber = ImpliedTry(state);
                byName.TryAdd(name, new TaskInstanceStatus
                {
                    Name = name,
                    State = state,
                    TryNumber = tryNumber,
                    Job = tryNumber > 0 ? Names.TaskJobName(runName, name, tryNumber) : null,
                });
            }
        }
        var tasks = new List<TaskInstanceStatus>(Math.Max(spec.Tasks.Count, byName.Count));
        foreach (var task in spec.Tasks)
        {
            tasks.Add(byName.Remove(task.Name, out var record) ? record : new TaskInstanceStatus { Name = task.Name });
        }
        tasks.AddRange(byName.Values); // removed tasks
        return status with { Tasks = tasks, CompactTasks = null };
    }

    /// <summary>A record whose only content is its state (at the try its state implies): nothing is lost but times.</summary>
    public static bool IsCompactable(TaskInstanceStatus task) =>
        task.State is not (TaskState.Failed or TaskState.UpForRetry or TaskState.UpForReschedule)
        && task.TryNumber == ImpliedTry(task.State)
        && task.ClearedTries == 0
        && task.NextTryTime is null
        && task.Outputs is not { Count: > 0 }
        && task.ExitCode is null or 0;

    /// <summary>Started states are at their first try; the others have not run.</summary>
    private static int ImpliedTry(TaskState state) =>
        state is TaskState.Queued or TaskState.Running or TaskState.Success ? 1 : 0;

    private static bool Exceeds(List<TaskInstanceStatus> tasks, int budgetBytes)
    {
        // A record is at least ~12 bytes: short lists never need the serializer's answer.
        if (tasks.Count * 12 <= budgetBytes)
        {
            var size = JsonSerializer.SerializeToUtf8Bytes(tasks, K8sFlowJson.Options).Length;
            return size > budgetBytes;
        }
        return true;
    }

    private static Dictionary<string, int> SpecIndex(DagSpec spec)
    {
        var index = new Dictionary<string, int>(spec.Tasks.Count, StringComparer.Ordinal);
        for (var i = 0; i < spec.Tasks.Count; i++)
        {
            index.TryAdd(spec.Tasks[i].Name, i);
        }
        return index;
    }

    /// <summary>Ascending indexes as ranges: 0,1,2,5,7,8 -> "0-2,5,7-8".</summary>
    public static string FormatRanges(IEnumerable<int> indexes)
    {
        var text = new StringBuilder();
        int? start = null, end = null;
        foreach (var i in indexes.Order())
        {
            if (end is { } e && i == e + 1)
            {
                end = i;
                continue;
            }
            Flush();
            start = end = i;
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (start is not { } s)
            {
                return;
            }
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(s.ToString(CultureInfo.InvariantCulture));
            if (end != s)
            {
                text.Append('-').Append(end!.Value.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>The indexes of "0-2,5": malformed parts are skipped (the controller wrote them; a hand edit loses only itself).</summary>
    public static IEnumerable<int> ParseRanges(string ranges)
    {
        foreach (var part in ranges.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var from = dash < 0 ? part : part[..dash];
            var to = dash < 0 ? part : part[(dash + 1)..];
            if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
                && int.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && a <= b)
            {
                for (var i = a; i <= b; i++)
                {
                    yield return i;
                }
            }
        }
    }
}
