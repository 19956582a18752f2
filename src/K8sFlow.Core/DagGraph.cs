using K8sFlow.Core.Api;

namespace K8sFlow.Core;

/// <summary>
/// The task graph of a Dag: upstream/downstream maps, topological order and cycle detection.
/// Built once per spec; unknown dependencies and duplicate names are left to the validator and ignored here.
/// </summary>
public sealed class DagGraph
{
    private readonly Dictionary<string, int> _index;

    public IReadOnlyList<TaskSpec> Tasks { get; }
    /// <summary>Direct upstream task names per task (only names that exist, in declaration order, de-duplicated).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Upstream { get; }
    /// <summary>Direct downstream task names per task, in declaration order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Downstream { get; }

    private DagGraph(IReadOnlyList<TaskSpec> tasks)
    {
        Tasks = tasks;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tasks.Count; i++)
        {
            _index.TryAdd(tasks[i].Name, i);
        }
        var up = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var down = _index.Keys.ToDictionary(k => k, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var name in _index.Keys)
        {
            var deps = (tasks[_index[name]].DependsOn ?? []).Where(_index.ContainsKey).Distinct(StringComparer.Ordinal).ToList();
            up[name] = deps;
            foreach (var d in deps)
            {
                down[d].Add(name);
            }
        }
        Upstream = up;
        Downstream = down.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    public static DagGraph Build(DagSpec spec) => new(spec.Tasks);

    public bool Contains(string task) => _index.ContainsKey(task);

    public TaskSpec this[string task] => Tasks[_index[task]];

    /// <summary>Tasks with no downstream tasks: they alone decide the run's outcome (spec §3).</summary>
    public IEnumerable<string> Leaves => _index.Keys.Where(t => Downstream[t].Count == 0);

    /// <summary>
    /// The first cycle found, as a closed path ("a", "b", "c", "a"), or null when the graph is acyclic.
    /// </summary>
    public IReadOnlyList<string>? FindCycle()
    {
        var color = new Dictionary<string, int>(StringComparer.Ordinal); // 0 new, 1 on stack, 2 done
        var stack = new List<string>();
        foreach (var start in _index.Keys)
        {
            var cycle = Visit(start);
            if (cycle is not null)
            {
                return cycle;
            }
        }
        return null;

        IReadOnlyList<string>? Visit(string node)
        {
            var state = color.GetValueOrDefault(node);
            if (state == 2)
            {
                return null;
            }
            if (state == 1)
            {
                var from = stack.IndexOf(node);
                return [.. stack.Skip(from), node];
            }
            color[node] = 1;
            stack.Add(node);
            foreach (var next in Downstream[node])
            {
                var cycle = Visit(next);
                if (cycle is not null)
                {
                    return cycle;
                }
            }
            stack.RemoveAt(stack.Count - 1);
            color[node] = 2;
            return null;
        }
    }

    /// <summary>Tasks in an order where every task comes after its upstreams (declaration order breaks ties).</summary>
    /// <exception cref="InvalidOperationException">The graph has a cycle (validate first).</exception>
    public IReadOnlyList<string> TopologicalOrder()
    {
        var remaining = _index.Keys.ToDictionary(k => k, k => Upstream[k].Count, StringComparer.Ordinal);
        var ready = new PriorityQueue<string, int>();
        foreach (var (name, count) in remaining)
        {
            if (count == 0)
            {
                ready.Enqueue(name, _index[name]);
            }
        }
        var order = new List<string>(remaining.Count);
        while (ready.TryDequeue(out var name, out _))
        {
            order.Add(name);
            foreach (var d in Downstream[name])
            {
                if (--remaining[d] == 0)
                {
                    ready.Enqueue(d, _index[d]);
                }
            }
        }
        if (order.Count != remaining.Count)
        {
            throw new InvalidOperationException("the task graph has a cycle");
        }
        return order;
    }

    /// <summary>All tasks reachable downstream of <paramref name="task"/> (excluding itself).</summary>
    public IReadOnlySet<string> Descendants(string task) => Reach(task, Downstream);

    /// <summary>All tasks reachable upstream of <paramref name="task"/> (excluding itself).</summary>
    public IReadOnlySet<string> Ancestors(string task) => Reach(task, Upstream);

    private static HashSet<string> Reach(string task, IReadOnlyDictionary<string, IReadOnlyList<string>> edges)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(edges[task]);
        while (todo.TryPop(out var t))
        {
            if (seen.Add(t))
            {
                foreach (var n in edges[t])
                {
                    todo.Push(n);
                }
            }
        }
        return seen;
    }
}
