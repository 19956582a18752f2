using System.Globalization;
using System.Text.RegularExpressions;
using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Params;
using K8sFlow.Core.Scheduling;
using K8sFlow.Core.Templating;

namespace K8sFlow.Core.Validation;

/// <summary>
/// Checks a Dag before it runs. Each diagnostic names the dag, the task and the field (and, for manifests
/// loaded from a file, the line). Errors make the Dag unusable; warnings flag likely mistakes
/// (an all_success join after a branch).
/// </summary>
public static partial class DagValidator
{
    /// <summary>Airflow task_id characters, and the ends must be alphanumeric so Kubernetes forms stay valid.</summary>
    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")]
    private static partial Regex TaskNamePattern();

    public static IReadOnlyList<Diagnostic> Validate(Dag dag, SourceMap? source = null)
    {
        var findings = new Findings(source ?? SourceMap.None, dag.Metadata.Name, dagRun: null);
        var spec = dag.Spec;
        CheckName(dag.Metadata.Name, findings);
        CheckScheduling(spec, findings);
        CheckDefaults(spec, findings);
        CheckParams(spec.Params, findings);
        CheckTasks(spec, findings);
        return findings.All;
    }

    private static void CheckName(string? name, Findings findings)
    {
        if (string.IsNullOrEmpty(name))
        {
            findings.Error("metadata.name", "a Dag needs a name");
        }
        else if (!Names.IsDnsSubdomain(name) || name.Length > Names.MaxLabelLength)
        {
            findings.Error("metadata.name", $"invalid Dag name \"{name}\": use at most {Names.MaxLabelLength} lowercase letters, digits, '-' or '.', "
                + "starting and ending with a letter or digit (the name is also a label value)");
        }
    }

    private static void CheckScheduling(DagSpec spec, Findings findings)
    {
        if (!Schedule.TryParse(spec.Schedule, out var schedule, out var scheduleError))
        {
            findings.Error("spec.schedule", scheduleError!);
        }
        if (!TimeZones.TryResolve(spec.Timezone, out _, out var zoneError))
        {
            findings.Error("spec.timezone", zoneError!);
        }
        if (!Timetables.IsKnown(spec.Timetable))
        {
            findings.Error("spec.timetable", $"unknown timetable \"{spec.Timetable}\" (expected one of {string.Join(", ", Timetables.All)})");
        }
        if (schedule is Schedule.Continuous && spec.MaxActiveRuns != 1)
        {
            var actual = spec.MaxActiveRuns is { } n ? n.ToString(CultureInfo.InvariantCulture) : "none (the default allows more)";
            findings.Error("spec.maxActiveRuns", $"schedule @continuous needs maxActiveRuns: 1 (each run starts when the previous one ends), got {actual}");
        }
        if (schedule is Schedule.Cron or Schedule.Interval or Schedule.Once && spec.StartDate is null)
        {
            findings.Error("spec.startDate", $"a scheduled Dag needs a startDate (schedule \"{spec.Schedule}\"), e.g. startDate: \"2026-01-01T00:00:00Z\"");
        }
        if (spec.StartDate is { } start && spec.EndDate is { } end && end < start)
        {
            findings.Error("spec.endDate", $"endDate {Names.FormatIso(end)} is before startDate {Names.FormatIso(start)}");
        }
        AtLeastOne(spec.MaxActiveRuns, "spec.maxActiveRuns", findings);
        AtLeastOne(spec.MaxActiveTasksPerRun, "spec.maxActiveTasksPerRun", findings);
        CheckDuration(spec.DagrunTimeout, "spec.dagrunTimeout", positive: true, findings);
    }

    private static void CheckDefaults(DagSpec spec, Findings findings)
    {
        if (spec.Defaults is not { } defaults)
        {
            return;
        }
        CheckRetries(defaults.Retries, "spec.defaults.retries", findings, task: null);
        CheckDuration(defaults.RetryDelay, "spec.defaults.retryDelay", positive: false, findings);
        CheckDuration(defaults.MaxRetryDelay, "spec.defaults.maxRetryDelay", positive: true, findings);
        CheckDuration(defaults.ExecutionTimeout, "spec.defaults.executionTimeout", positive: true, findings);
        var scope = new TemplateScope(spec, spec.Tasks.Select(t => t.Name).ToHashSet(StringComparer.Ordinal), Graph: null);
        for (var i = 0; i < (defaults.Env?.Count ?? 0); i++)
        {
            CheckTemplate(defaults.Env![i].Value, $"spec.defaults.env[{i}].value", scope, task: null, findings);
        }
    }

    private static void CheckParams(Dictionary<string, ParamSpec>? declarations, Findings findings)
    {
        foreach (var (name, param) in declarations ?? [])
        {
            var at = $"spec.params.{name}";
            var type = param.Type ?? ParamTypes.Default;
            if (!ParamTypes.IsKnown(param.Type))
            {
                findings.Error(at + ".type", $"unknown param type \"{param.Type}\" (expected one of {string.Join(", ", ParamTypes.All)})");
                continue;
            }
            var numeric = type is ParamTypes.Integer or ParamTypes.Number;
            if (!numeric && (param.Minimum is not null || param.Maximum is not null))
            {
                findings.Error(at + (param.Minimum is not null ? ".minimum" : ".maximum"), $"minimum and maximum apply to integer and number params, not {type}");
            }
            if (param.Minimum is { } min && param.Maximum is { } max && min > max)
            {
                findings.Error(at + ".minimum", $"minimum {min.ToString(CultureInfo.InvariantCulture)} is above maximum {max.ToString(CultureInfo.InvariantCulture)}");
            }
            var patternCompiles = true;
            if (param.Pattern is { } pattern)
            {
                if (type != ParamTypes.String)
                {
                    findings.Error(at + ".pattern", $"pattern applies to string params, not {type}");
                }
                else if (!ParamResolver.TryCreatePattern(pattern, out _, out var patternError))
                {
                    findings.Error(at + ".pattern", patternError);
                    patternCompiles = false;
                }
            }
            var enumTypesFit = true;
            for (var i = 0; i < (param.Enum?.Count ?? 0); i++)
            {
                if (ParamResolver.CheckType(type, param.Enum![i]) is { } enumError)
                {
                    findings.Error($"{at}.enum[{i}]", enumError);
                    enumTypesFit = false;
                }
            }
            if (param.Default is not null && patternCompiles && enumTypesFit)
            {
                // The same rules a run's value must pass (type, enum, range, pattern): one place, ParamResolver.
                foreach (var problem in ParamResolver.CheckValue(param, param.Default))
                {
                    findings.Error(at + ".default", problem);
                }
            }
        }
    }

    private static void CheckTasks(DagSpec spec, Findings findings)
    {
        if (spec.Tasks.Count == 0)
        {
            findings.Error("spec.tasks", "a Dag needs at least one task");
            return;
        }
        CheckTaskNames(spec.Tasks, findings);
        var names = spec.Tasks.Select(t => t.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        // Self-dependencies are reported on their own; keep them out of the graph so a real cycle still shows.
        var graph = DagGraph.Build(spec with
        {
            Tasks = [.. spec.Tasks.Select(t => t with { DependsOn = t.DependsOn?.Where(d => d != t.Name).ToList() })],
        });
        var templates = new TemplateScope(spec, names, graph);
        for (var i = 0; i < spec.Tasks.Count; i++)
        {
            var task = spec.Tasks[i];
            var at = $"spec.tasks[{i}]";
            CheckTaskFields(task, at, spec.Defaults, findings);
            CheckDependencies(task, at, names, findings);
            var texts = (task.Command ?? []).Select((c, k) => ((string?)c, $"{at}.command[{k}]"))
                .Concat((task.Args ?? []).Select((a, k) => ((string?)a, $"{at}.args[{k}]")))
                .Concat((task.Env ?? []).Select((e, k) => (e.Value, $"{at}.env[{k}].value")))
                .Concat((task.Outlets ?? []).Select((o, k) => ((string?)o, $"{at}.outlets[{k}]")));
            foreach (var (text, field) in texts)
            {
                CheckTemplate(text, field, templates, task.Name, findings);
            }
        }
        if (graph.FindCycle() is { } cycle)
        {
            var first = spec.Tasks.FindIndex(t => t.Name == cycle[0]);
            findings.Error($"spec.tasks[{first}].dependsOn", $"dependency cycle: {string.Join(" -> ", cycle)}", cycle[0]);
            return;
        }
        CheckJoinsAfterBranches(spec, graph, findings);
    }

    private static void CheckTaskNames(List<TaskSpec> tasks, Findings findings)
    {
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var kubernetesForms = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < tasks.Count; i++)
        {
            var name = tasks[i].Name;
            var at = $"spec.tasks[{i}].name";
            if (string.IsNullOrEmpty(name))
            {
                findings.Error(at, "a task needs a name");
                continue;
            }
            if (name.Length > Names.MaxLabelLength || !TaskNamePattern().IsMatch(name))
            {
                findings.Error(at, $"invalid task name \"{name}\": use at most {Names.MaxLabelLength} letters, digits, '_', '-' or '.', "
                    + "starting and ending with a letter or digit", name);
                continue;
            }
            if (!firstIndex.TryAdd(name, i))
            {
                findings.Error(at, $"duplicate task name \"{name}\" (first at spec.tasks[{firstIndex[name]}])", name);
                continue;
            }
            // Job names and labels use the DNS form; two tasks with one form would share Jobs.
            var form = Names.ToDnsLabelPart(name);
            if (!kubernetesForms.TryAdd(form, name))
            {
                findings.Error(at, $"task names \"{kubernetesForms[form]}\" and \"{name}\" both become \"{form}\" in Kubernetes names; rename one", name);
            }
        }
    }

    private static void CheckTaskFields(TaskSpec task, string at, TaskDefaults? defaults, Findings findings)
    {
        var name = task.Name;
        if (!TaskTypes.IsKnown(task.Type))
        {
            findings.Error(at + ".type", $"unknown task type \"{task.Type}\" (expected one of {string.Join(", ", TaskTypes.All)})", name);
        }
        if (!TriggerRules.IsKnown(task.TriggerRule))
        {
            findings.Error(at + ".triggerRule", $"unknown trigger rule \"{task.TriggerRule}\"{Suggestions.DidYouMean(task.TriggerRule!, TriggerRules.Names)} "
                + $"(expected one of {string.Join(", ", TriggerRules.Names)})", name);
        }
        if (string.IsNullOrWhiteSpace(task.Image) && string.IsNullOrWhiteSpace(defaults?.Image))
        {
            findings.Error(at + ".image", "no image: set image on the task or spec.defaults.image", name);
        }
        if ((task.Command?.Count ?? 0) == 0 && (task.Args?.Count ?? 0) == 0)
        {
            findings.Error(at + ".command", "nothing to run: set command or args", name);
        }
        CheckRetries(task.Retries, at + ".retries", findings, name);
        CheckDuration(task.RetryDelay, at + ".retryDelay", positive: false, findings, name);
        CheckDuration(task.MaxRetryDelay, at + ".maxRetryDelay", positive: true, findings, name);
        CheckDuration(task.ExecutionTimeout, at + ".executionTimeout", positive: true, findings, name);
    }

    private static void CheckDependencies(TaskSpec task, string at, HashSet<string> names, Findings findings)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var j = 0; j < (task.DependsOn?.Count ?? 0); j++)
        {
            var dependency = task.DependsOn![j];
            var field = $"{at}.dependsOn[{j}]";
            if (dependency == task.Name)
            {
                findings.Error(field, $"task \"{dependency}\" depends on itself", task.Name);
            }
            else if (!names.Contains(dependency))
            {
                findings.Error(field, $"unknown task \"{dependency}\"{Suggestions.DidYouMean(dependency, names)}", task.Name);
            }
            else if (!seen.Add(dependency))
            {
                findings.Warning(field, $"\"{dependency}\" is listed twice", task.Name);
            }
        }
    }

    /// <summary>
    /// What templates may name: the declared params, the tasks, and (through the graph) each task's upstreams.
    /// The graph is null for spec.defaults, which apply to every task and so cannot read one task's outputs.
    /// </summary>
    private sealed record TemplateScope(DagSpec Spec, IReadOnlySet<string> Tasks, DagGraph? Graph);

    /// <summary>Template syntax, names, params and task outputs: outputs exist only once an upstream task ran.</summary>
    private static void CheckTemplate(string? text, string field, TemplateScope scope, string? task, Findings findings)
    {
        if (!TemplateEngine.HasTemplate(text))
        {
            return;
        }
        var inspection = TemplateEngine.Inspect(text!);
        foreach (var error in inspection.Errors)
        {
            findings.Error(field, error, task);
        }
        IReadOnlyCollection<string> declared = scope.Spec.Params?.Keys ?? (IReadOnlyCollection<string>)[];
        foreach (var reference in inspection.References)
        {
            switch (reference)
            {
                case TemplateReference.Param p when !declared.Contains(p.Name):
                    var known = declared.Count == 0 ? "the Dag declares no params" : "declared: " + string.Join(", ", declared);
                    findings.Error(field, $"unknown param \"{p.Name}\" in template{Suggestions.DidYouMean(p.Name, declared)} ({known})", task);
                    break;
                case TemplateReference.TaskOutput o when !scope.Tasks.Contains(o.Task):
                    findings.Error(field, $"template reads outputs of unknown task \"{o.Task}\"{Suggestions.DidYouMean(o.Task, scope.Tasks)}", task);
                    break;
                case TemplateReference.TaskOutput o when scope.Graph is null:
                    findings.Error(field, $"spec.defaults cannot read task outputs (tasks.{o.Task}.outputs.{o.Key}): not every task runs after \"{o.Task}\"", task);
                    break;
                case TemplateReference.TaskOutput o when task is null || !IsUpstream(scope.Graph, o.Task, task):
                    findings.Error(field, $"template reads outputs of task \"{o.Task}\", which is not upstream of \"{task}\" (add it to dependsOn)", task);
                    break;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="upstream"/> runs before <paramref name="task"/>. Searches up from the task and stops
    /// at the first hit: templates usually read a direct upstream, and a 10,000-task chain stays linear.
    /// </summary>
    private static bool IsUpstream(DagGraph graph, string upstream, string task)
    {
        if (!graph.Contains(task))
        {
            return false;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Queue<string>(graph.Upstream[task]);
        while (todo.TryDequeue(out var next))
        {
            if (next == upstream)
            {
                return true;
            }
            if (seen.Add(next))
            {
                foreach (var up in graph.Upstream[next])
                {
                    todo.Enqueue(up);
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Spec §5: a branch skips its unchosen paths, and all_success turns any skipped upstream into a skip.
    /// So an all_success task reached through two or more of a branch's paths, or joining a branch path
    /// with a path from outside the branch, is skipped even when a chosen path succeeds. A single chain
    /// below one branch target stays quiet: skipping it is the point of the branch.
    /// </summary>
    private static void CheckJoinsAfterBranches(DagSpec spec, DagGraph graph, Findings findings)
    {
        var warned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var branch in spec.Tasks.Where(TaskTypes.IsBranch).Select(t => t.Name).Where(graph.Contains))
        {
            var targets = graph.Downstream[branch];
            var below = graph.Descendants(branch);
            var reachedFrom = targets.ToDictionary(t => t, graph.Descendants, StringComparer.Ordinal);
            foreach (var name in below.Where(n => !targets.Contains(n) && TriggerRules.Of(graph[n]) == TriggerRules.AllSuccess))
            {
                var paths = targets.Count(t => reachedFrom[t].Contains(name));
                var joinsOutside = graph.Upstream[name].Any(u => u != branch && !below.Contains(u));
                if ((paths >= 2 || joinsOutside) && warned.Add(name))
                {
                    var index = spec.Tasks.FindIndex(t => t.Name == name);
                    findings.Warning($"spec.tasks[{index}].triggerRule",
                        $"all_success join after branch task \"{branch}\": it is skipped whenever the branch skips one of its upstream paths; "
                        + $"use triggerRule: {TriggerRules.NoneFailedMinOneSuccess}", name);
                }
            }
        }
    }

    private static void AtLeastOne(int? value, string field, Findings findings)
    {
        if (value < 1)
        {
            findings.Error(field, $"must be at least 1, got {value}");
        }
    }

    private static void CheckRetries(int? retries, string field, Findings findings, string? task)
    {
        if (retries < 0)
        {
            findings.Error(field, $"must be 0 or more, got {retries}", task);
        }
    }

    private static void CheckDuration(string? text, string field, bool positive, Findings findings, string? task = null)
    {
        if (text is null)
        {
            return;
        }
        if (!Durations.TryParse(text, out var duration))
        {
            findings.Error(field, $"invalid duration \"{text}\" (expected e.g. 30s, 5m, 1h30m, 2d)", task);
        }
        else if (positive && duration <= TimeSpan.Zero)
        {
            findings.Error(field, $"must be longer than 0, got \"{text}\"", task);
        }
    }
}
