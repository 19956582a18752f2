using System.Runtime.CompilerServices;
using System.Text;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Logs;

/// <summary>In-memory <see cref="IPodLogStore"/>: one lock, a wake-up signal per container run for followers.</summary>
public sealed class PodLogStore(TimeProvider? time = null) : IPodLogStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Ns, string Pod, string Container), ContainerLogs> _containers = [];

    private sealed class ContainerLogs
    {
        public Run Current { get; set; } = new();

        public Run? Previous { get; set; }
    }

    private sealed class Run
    {
        public List<LogLine> Lines { get; } = [];

        public bool Terminated { get; set; }

        /// <summary>Completed (and replaced) whenever a line arrives or the run ends.</summary>
        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Wake()
        {
            var changed = Changed;
            Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    public void StartContainer(string ns, string pod, string container)
    {
        lock (_gate)
        {
            if (_containers.TryGetValue((ns, pod, container), out var logs))
            {
                logs.Current.Terminated = true;
                logs.Current.Wake();
                logs.Previous = logs.Current;
                logs.Current = new Run();
            }
            else
            {
                _containers[(ns, pod, container)] = new ContainerLogs();
            }
        }
    }

    public void Append(string ns, string pod, string container, string line, DateTimeOffset? timestamp = null)
    {
        lock (_gate)
        {
            if (!_containers.TryGetValue((ns, pod, container), out var logs))
            {
                logs = new ContainerLogs();
                _containers[(ns, pod, container)] = logs;
            }
            logs.Current.Lines.Add(new LogLine(timestamp ?? _time.GetUtcNow(), line));
            logs.Current.Wake();
        }
    }

    public void MarkTerminated(string ns, string pod, string container)
    {
        lock (_gate)
        {
            if (!_containers.TryGetValue((ns, pod, container), out var logs))
            {
                logs = new ContainerLogs();
                _containers[(ns, pod, container)] = logs;
            }
            logs.Current.Terminated = true;
            logs.Current.Wake();
        }
    }

    public void RemovePod(string ns, string pod)
    {
        lock (_gate)
        {
            foreach (var key in _containers.Keys.Where(k => k.Ns == ns && k.Pod == pod).ToList())
            {
                var logs = _containers[key];
                logs.Current.Terminated = true;
                logs.Current.Wake();
                _containers.Remove(key);
            }
        }
    }

    public bool HasLog(string ns, string pod, string container, bool previous = false)
    {
        lock (_gate)
        {
            return _containers.TryGetValue((ns, pod, container), out var logs) && (!previous || logs.Previous is not null);
        }
    }

    public IReadOnlyList<LogLine> Lines(string ns, string pod, string container, bool previous = false)
    {
        lock (_gate)
        {
            return RunOf(ns, pod, container, previous)?.Lines.ToList() ?? [];
        }
    }

    private Run? RunOf(string ns, string pod, string container, bool previous) =>
        _containers.TryGetValue((ns, pod, container), out var logs) ? previous ? logs.Previous : logs.Current : null;

    public async IAsyncEnumerable<string> StreamAsync(string ns, string pod, string container, PodLogOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Run? run;
        int next;
        lock (_gate)
        {
            run = RunOf(ns, pod, container, options.Previous);
            if (run is null)
            {
                yield break;
            }
            next = FirstLine(run.Lines, options);
        }
        var budget = options.LimitBytes ?? long.MaxValue;
        while (budget > 0)
        {
            List<LogLine> batch;
            bool ended;
            Task changed;
            lock (_gate)
            {
                batch = run.Lines.Skip(next).ToList();
                next += batch.Count;
                ended = run.Terminated || !options.Follow || options.Previous;
                changed = run.Changed.Task;
            }
            var since = Since(options);
            foreach (var line in batch.Where(l => since is null || l.Timestamp >= since))
            {
                var text = Format(line, options.Timestamps);
                var bytes = Encoding.UTF8.GetByteCount(text);
                if (bytes > budget)
                {
                    yield return Truncate(text, budget);
                    yield break;
                }
                budget -= bytes;
                yield return text;
            }
            if (ended && batch.Count == 0)
            {
                yield break;
            }
            if (batch.Count == 0)
            {
                await changed.WaitAsync(cancellationToken);
            }
        }
    }

    private DateTimeOffset? Since(PodLogOptions options) =>
        options.SinceSeconds is { } seconds ? _time.GetUtcNow().AddSeconds(-seconds) : options.SinceTime;

    /// <summary>Index of the first line to send: tailLines counts back over the lines the since-filter keeps.</summary>
    private int FirstLine(List<LogLine> lines, PodLogOptions options)
    {
        if (options.TailLines is not { } tail)
        {
            return 0;
        }
        var since = Since(options);
        var kept = 0;
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            if (since is null || lines[i].Timestamp >= since)
            {
                if (kept == tail)
                {
                    return i + 1;
                }
                kept++;
            }
        }
        return 0;
    }

    private static string Format(LogLine line, bool timestamps) =>
        timestamps ? $"{KubeJson.Rfc3339Nano(line.Timestamp)} {line.Text}\n" : line.Text + "\n";

    private static string Truncate(string text, long bytes)
    {
        var encoded = Encoding.UTF8.GetBytes(text);
        return Encoding.UTF8.GetString(encoded, 0, (int)Math.Min(bytes, encoded.Length));
    }
}
