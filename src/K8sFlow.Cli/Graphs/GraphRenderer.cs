using System.Text;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Planning;

namespace K8sFlow.Cli.Graphs;

public static class GraphFormats
{
    public const string Ascii = "ascii";
    public const string Mermaid = "mermaid";
    public const string Dot = "dot";
    public static readonly IReadOnlyList<string> All = [Ascii, Mermaid, Dot];
}

/// <summary>
/// Text drawings of a valid (acyclic) Dag. Every format marks branch tasks and trigger rules other than
/// all_success, the two things that change which tasks run.
/// </summary>
public static class GraphRenderer
{
    public static string Render(Dag dag, string format) => format switch
    {
        GraphFormats.Mermaid => Mermaid(dag),
        GraphFormats.Dot => Dot(dag),
        _ => Ascii(dag),
    };

    /// <summary>
    /// One line per task, layer by layer (a task's layer is its longest path from a root), indented by layer:
    /// <c>check_accuracy [branch] -> model_registry, notify_low_accuracy</c>.
    /// <paramref name="label"/> dresses each task's own name (e.g. with its state in a run); downstream names stay plain.
    /// </summary>
    public static string Ascii(Dag dag, Func<string, string>? label = null)
    {
        var model = Model.Of(dag);
        var graph = model.Graph;
        var order = graph.TopologicalOrder();
        var layer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in order)
        {
            layer[task] = graph.Upstream[task].Select(u => layer[u] + 1).DefaultIfEmpty(0).Max();
        }
        var text = new StringBuilder();
        var count = order.Count;
        text.Append("dag ").Append(dag.Metadata.Name).Append(" (").Append(count).Append(count == 1 ? " task" : " tasks").AppendLine(")");
        foreach (var task in order.OrderBy(t => layer[t]))
        {
            text.Append(' ', 2 * layer[task]).Append(label is null ? task : label(task)).Append(model.Marks(task, " [", "]"));
            if (graph.Downstream[task].Count > 0)
            {
                text.Append(" -> ").AppendJoin(", ", graph.Downstream[task]);
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>A Mermaid flowchart: branch tasks as diamonds, trigger rules on a second label line.</summary>
    public static string Mermaid(Dag dag)
    {
        var model = Model.Of(dag);
        var graph = model.Graph;
        var ids = Ids(graph);
        var text = new StringBuilder("flowchart TD\n");
        foreach (var task in graph.TopologicalOrder())
        {
            var label = task + model.Marks(task, "<br/>", "", includeBranch: false);
            var (open, close) = model.Policies[task].IsBranch ? ("{\"", "\"}") : ("[\"", "\"]");
            text.Append("    ").Append(ids[task]).Append(open).Append(label).Append(close).Append('\n');
        }
        foreach (var (from, to) in Edges(graph))
        {
            text.Append("    ").Append(ids[from]).Append(" --> ").Append(ids[to]).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A Graphviz digraph: branch tasks as diamonds, trigger rules on a second label line.</summary>
    public static string Dot(Dag dag)
    {
        var model = Model.Of(dag);
        var graph = model.Graph;
        var text = new StringBuilder();
        text.Append("digraph \"").Append(dag.Metadata.Name).Append("\" {\n");
        text.Append("    rankdir=TB;\n    node [shape=box];\n");
        foreach (var task in graph.TopologicalOrder())
        {
            var attributes = new List<string>();
            if (model.Policies[task].IsBranch)
            {
                attributes.Add("shape=diamond");
            }
            if (model.Rule(task) is { } rule)
            {
                attributes.Add($"label=\"{task}\\n{rule}\"");
            }
            text.Append("    \"").Append(task).Append('"');
            if (attributes.Count > 0)
            {
                text.Append(" [").AppendJoin(", ", attributes).Append(']');
            }
            text.Append(";\n");
        }
        foreach (var (from, to) in Edges(graph))
        {
            text.Append("    \"").Append(from).Append("\" -> \"").Append(to).Append("\";\n");
        }
        return text.Append("}\n").ToString();
    }

    /// <summary>Mermaid ids by declaration index: stable, and free of the characters task names may hold.</summary>
    private static Dictionary<string, string> Ids(DagGraph graph) =>
        graph.Tasks.Select((t, i) => (t.Name, Id: $"t{i}")).DistinctBy(x => x.Name).ToDictionary(x => x.Name, x => x.Id, StringComparer.Ordinal);

    private static IEnumerable<(string From, string To)> Edges(DagGraph graph) =>
        graph.TopologicalOrder().SelectMany(from => graph.Downstream[from].Select(to => (from, to)));

    /// <summary>The graph and, per task name, what the planner reads of it (branch, trigger rule): the one parsing.</summary>
    private sealed record Model(DagGraph Graph, IReadOnlyDictionary<string, TaskPolicy> Policies)
    {
        public static Model Of(Dag dag)
        {
            var policies = TaskPolicy.Resolve(dag.Spec).Policies;
            var byName = new Dictionary<string, TaskPolicy>(StringComparer.Ordinal);
            for (var i = 0; i < policies.Count; i++)
            {
                byName.TryAdd(dag.Spec.Tasks[i].Name, policies[i]);
            }
            return new Model(DagGraph.Build(dag.Spec), byName);
        }

        /// <summary>The task's trigger rule when it is not the default all_success.</summary>
        public string? Rule(string task) =>
            Policies[task].TriggerRule is var rule && rule != TriggerRules.Default ? rule.ToName() : null;

        public string Marks(string task, string open, string close, bool includeBranch = true)
        {
            var marks = new List<string>();
            if (includeBranch && Policies[task].IsBranch)
            {
                marks.Add(TaskTypes.Branch);
            }
            if (Rule(task) is { } rule)
            {
                marks.Add(rule);
            }
            return marks.Count == 0 ? "" : open + string.Join(", ", marks) + close;
        }
    }
}
