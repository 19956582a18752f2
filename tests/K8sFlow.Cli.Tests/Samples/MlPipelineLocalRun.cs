using System.Diagnostics;
using System.Text.Json.Nodes;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Params;
using K8sFlow.Core.Planning;
using K8sFlow.Core.Templating;

namespace K8sFlow.Cli.Tests.Samples;

/// <summary>One task attempt: the command line it ran, how it ended, what it printed and output.</summary>
internal sealed record TaskAttempt(
    string Task,
    IReadOnlyList<string> CommandLine,
    int ExitCode,
    string Stdout,
    string Stderr,
    string OutputText,
    IReadOnlyDictionary<string, string> Outputs)
{
    public override string ToString() =>
        $"{Task} exited {ExitCode}: {string.Join(' ', CommandLine)}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>
/// A run of config/samples/ml-pipeline.yaml done the way K8sFlow's local job runner does it: each task's command
/// and args from the manifest, rendered with the run's params and its upstream tasks' outputs; /app mapped to the
/// host directory the Dag's <see cref="K8sFlowApi.Annotations.LocalMounts"/> names; K8SFLOW_* and the Dag's env set; the
/// $K8SFLOW_OUTPUT file read back as the task's outputs; branch choices and skips as the planner applies them.
/// </summary>
internal sealed class MlPipelineLocalRun : IDisposable
{
    private static readonly TimeSpan TaskTimeout = TimeSpan.FromMinutes(2);
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k8sflow-ml-pipeline-");
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _outputs = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _extraEnv;
    private readonly Dictionary<string, TaskAttempt> _attempts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);

    public MlPipelineLocalRun(IDictionary<string, JsonNode?>? runParams = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var manifest = Path.Combine(RepoRoot, "config", "samples", "ml-pipeline.yaml");
        var loaded = ManifestLoader.Load(File.ReadAllText(manifest), manifest);
        if (loaded.HasErrors)
        {
            throw new InvalidDataException(string.Join('\n', loaded.Diagnostics));
        }
        Dag = loaded.Dags.Single().Resource;
        Graph = DagGraph.Build(Dag.Spec);
        Mounts = ParseMounts(Dag.Metadata.Annotations?.GetValueOrDefault(K8sFlowApi.Annotations.LocalMounts), Path.GetDirectoryName(manifest)!);

        var resolved = ParamResolver.Resolve(Dag.Spec.Params, runParams);
        if (!resolved.Succeeded)
        {
            throw new ArgumentException(string.Join("; ", resolved.Errors), nameof(runParams));
        }
        Workspace = _root.CreateSubdirectory("workspace").FullName;
        _extraEnv = env ?? new Dictionary<string, string>();
        Context = new TemplateContext
        {
            LogicalDate = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero),
            RunId = "manual__2026-01-02T00:00:00+00:00",
            Params = resolved.Values,
            TaskOutputs = _outputs,
        };
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    public Dag Dag { get; }

    public DagGraph Graph { get; }

    /// <summary>Container path -> host directory, from the Dag's local-mounts annotation.</summary>
    public IReadOnlyDictionary<string, string> Mounts { get; }

    public string Workspace { get; }

    /// <summary>What templates see: params, dates, run id and the outputs of the tasks run so far.</summary>
    public TemplateContext Context { get; }

    /// <summary>The attempts <see cref="RunAll"/> made, by task.</summary>
    public IReadOnlyDictionary<string, TaskAttempt> Attempts => _attempts;

    /// <summary>The tasks <see cref="RunAll"/> skipped (not chosen by a branch, or downstream of a skipped task).</summary>
    public IReadOnlySet<string> Skipped => _skipped;

    /// <summary>Runs every task in dependency order; a branch's unchosen tasks (and theirs) are skipped; stops at a failure.</summary>
    public void RunAll()
    {
        foreach (var task in Graph.TopologicalOrder())
        {
            if (Graph.Upstream[task].Any(u => Skipped.Contains(u) || !ChoseOrIsNoBranch(u, task)))
            {
                _skipped.Add(task);
                continue;
            }
            var attempt = RunTask(task);
            _attempts[task] = attempt;
            if (attempt.ExitCode != 0)
            {
                return;
            }
            _outputs[task] = attempt.Outputs;
        }
    }

    /// <summary>
    /// Runs one task (try 1 unless <paramref name="tryNumber"/> says otherwise) with <paramref name="context"/> or the
    /// run's, in the run's workspace. Only <see cref="RunAll"/> records attempts and outputs.
    /// </summary>
    public TaskAttempt RunTask(string task, TemplateContext? context = null, int tryNumber = 1)
    {
        context ??= Context;
        var spec = Graph[task];
        var command = Render(task, spec.Command, context).Concat(Render(task, spec.Args, context)).Select(MapPath).ToList();
        var outputFile = Path.Combine(_root.FullName, "outputs", $"{task}-{tryNumber}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(outputFile)!);
        File.Delete(outputFile);

        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [K8sFlowApi.Env.Dag] = Dag.Metadata.Name!,
            [K8sFlowApi.Env.RunId] = context.RunId,
            [K8sFlowApi.Env.Task] = task,
            [K8sFlowApi.Env.TryNumber] = $"{tryNumber}",
            [K8sFlowApi.Env.LogicalDate] = context.LogicalDate!.Value.ToString("O"),
            [K8sFlowApi.Env.Output] = outputFile,
            [K8sFlowApi.Env.Workspace] = Workspace,
        };
        foreach (var variable in (Dag.Spec.Defaults?.Env ?? []).Concat(spec.Env ?? []))
        {
            env[variable.Name] = TemplateEngine.Render(variable.Value ?? "", context).Value!;
        }
        foreach (var (name, value) in _extraEnv)
        {
            env[name] = value;
        }

        var (exitCode, stdout, stderr) = Execute(command, env);
        var outputText = File.Exists(outputFile) ? File.ReadAllText(outputFile) : "";
        var parsed = TaskOutputs.Parse(outputText);
        return new TaskAttempt(task, command, exitCode, stdout, stderr, outputText, parsed.Values ?? new Dictionary<string, string>());
    }

    /// <summary>The direct downstream tasks a branch task's attempt chose (spec §5), as the planner reads it.</summary>
    public BranchChoice BranchChoice(TaskAttempt branch) =>
        TaskOutputs.ParseBranch(TaskOutputs.Parse(branch.OutputText), [.. Graph.Downstream[branch.Task]]);

    public void Dispose() => _root.Delete(recursive: true);

    private bool ChoseOrIsNoBranch(string upstream, string task) =>
        Graph[upstream].Type != "branch" || BranchChoice(Attempts[upstream]).Chosen.Contains(task);

    private static IReadOnlyList<string> Render(string task, IEnumerable<string>? templates, TemplateContext context)
    {
        var rendered = TemplateEngine.RenderAll(templates, context);
        return rendered.Succeeded
            ? rendered.Values
            : throw new InvalidOperationException($"task {task}: {string.Join("; ", rendered.Errors)}");
    }

    /// <summary>An argument naming a path under a mounted container path names the host directory instead.</summary>
    private string MapPath(string argument)
    {
        foreach (var (containerPath, hostPath) in Mounts)
        {
            if (argument == containerPath || argument.StartsWith(containerPath + "/", StringComparison.Ordinal))
            {
                return hostPath + argument[containerPath.Length..];
            }
        }
        return argument;
    }

    private static Dictionary<string, string> ParseMounts(string? annotation, string manifestDir) =>
        (annotation ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(m => m.Split('=', 2))
            .ToDictionary(p => p[0], p => Path.GetFullPath(Path.Combine(manifestDir, p[1])), StringComparer.Ordinal);

    private (int ExitCode, string Stdout, string Stderr) Execute(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> env)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root.FullName,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }
        // Hermetic: this machine's own MLflow or K8sFlow settings must not leak into the tasks.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("MLFLOW_", StringComparison.Ordinal) || k.StartsWith("K8SFLOW_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1"; // no __pycache__ in the source tree
        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TaskTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} ran longer than {TaskTimeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "K8sFlow.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"K8sFlow.sln not found above {AppContext.BaseDirectory}");
    }
}
