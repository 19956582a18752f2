using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Cli.Local;
using K8sFlow.Cli.Runs;
using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Core.Params;
using K8sFlow.Core.Validation;
using K8sFlow.Kubernetes;
using K8sFlow.Kubernetes.Models;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.Operator.Jobs;

namespace K8sFlow.Cli.Commands;

/// <summary>What <c>k8sflow run</c> was asked to do.</summary>
public sealed record RunRequest
{
    public required string File { get; init; }

    /// <summary>Which Dag of the file to run; needed when it holds several.</summary>
    public string? DagName { get; init; }

    /// <summary><c>name=value</c> assignments, typed by the Dag's param declarations.</summary>
    public IReadOnlyList<string> Params { get; init; } = [];

    /// <summary>Print the final DagRun as JSON on stdout (progress and summary go to stderr).</summary>
    public bool Json { get; init; }

    public TimeSpan Timeout { get; init; } = RunCommand.DefaultTimeout;

    /// <summary>Pods finish at once instead of running task commands.</summary>
    public bool Simulate { get; init; }

    /// <summary>Keep the data directory (objects, pod directories, the run's workspace) afterwards.</summary>
    public bool Keep { get; init; }

    /// <summary>Where the local cluster keeps its data; implies <see cref="Keep"/>. Null: a fresh temporary directory.</summary>
    public string? DataDirectory { get; init; }
}

/// <summary>
/// <c>k8sflow run FILE [-p name=value ...] [--dag NAME] [--output table|json] [--timeout DURATION] [--simulate]
/// [--keep] [--data-dir DIR]</c>: runs a Dag once on this machine. Starts the local environment (cluster, job runner,
/// operator) in this process, applies the file's Dags, creates one manual DagRun, shows its progress, prints
/// failed tasks' logs and a summary, and stops everything. Exit 0 when the run Succeeded, 1 when it Failed or
/// timed out, 2 on invalid input (then no run is created).
/// </summary>
public static class RunCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The field manager of the Dags and DagRuns this command writes.</summary>
    public const string FieldManager = "k8sflow-run";

    /// <summary>Stopping kills task processes and saves objects: more than System.CommandLine's default 2 s.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    /// <summary>How long reading one failed pod's log may take once the run has ended.</summary>
    private static readonly TimeSpan LogReadTimeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Manifest with the Dag to run" };
        var param = new Option<string[]>("--param", "-p")
        {
            Description = "A run param as name=value (repeatable); typed by the Dag's declaration",
            AllowMultipleArgumentsPerToken = false,
        };
        var dag = new Option<string?>("--dag") { Description = "The Dag to run when the file holds several" };
        var output = new Option<string>("--output", "-o")
        {
            Description = "table: a summary on stdout; json: the final DagRun on stdout (progress on stderr)",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json");
        var timeout = new Option<string>("--timeout")
        {
            Description = "Give up (exit 1) when the run has not ended after this long, e.g. 90s, 10m",
            DefaultValueFactory = _ => Durations.Format(DefaultTimeout),
        };
        timeout.Validators.Add(result =>
        {
            if (!Durations.TryParse(result.GetValueOrDefault<string>(), out var parsed, out var error) || parsed <= TimeSpan.Zero)
            {
                result.AddError($"--timeout: {error ?? "must be positive"}");
            }
        });
        var simulate = new Option<bool>("--simulate")
        {
            Description = "Do not run task commands: every pod finishes at once (exit code and output from k8sflow.io/sim-* annotations)",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep the data directory (and the run's workspace) afterwards and say where it is" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory of the local cluster (kept afterwards); default: a fresh temporary one" };
        var command = new Command("run", "Run a Dag once on this machine (local cluster, job runner and operator in this process) and report the result")
        {
            file, param, dag, output, timeout, simulate, keep, dataDir,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            // Set before the first await: System.CommandLine arms its signal handler with this once the action has started.
            parse.InvocationConfiguration.ProcessTerminationTimeout = StopGrace;
            var request = new RunRequest
            {
                File = parse.GetValue(file)!,
                DagName = parse.GetValue(dag),
                Params = parse.GetValue(param) ?? [],
                Json = parse.GetValue(output) == "json",
                Timeout = Durations.Parse(parse.GetValue(timeout)!),
                Simulate = parse.GetValue(simulate),
                Keep = parse.GetValue(keep),
                DataDirectory = parse.GetValue(dataDir),
            };
            return RunAsync(request, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(RunRequest request, TextWriter output, TextWriter error, CancellationToken stop)
    {
        if (Prepare(request, error) is not { } prepared)
        {
            return ExitCodes.Invalid;
        }
        var keep = request.Keep || request.DataDirectory is not null;
        var dataDirectory = request.DataDirectory ?? Directory.CreateTempSubdirectory("k8sflow-run-").FullName;
        try
        {
            LocalEnvironment environment;
            try
            {
                environment = await LocalEnvironment.StartAsync(new LocalEnvironmentOptions
                {
                    DataDirectory = dataDirectory,
                    JobRunner = request.Simulate ? JobRunnerMode.Simulated : JobRunnerMode.Processes,
                    HostMounts = prepared.Mounts,
                }, stop);
            }
            catch (LocalEnvironmentException e)
            {
                await error.WriteLineAsync($"k8sflow run: {e.Message}");
                return ExitCodes.Invalid;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                await error.WriteLineAsync("k8sflow run: interrupted before the run was created");
                return ExitCodes.RunFailed;
            }
            int exitCode;
            await using (environment)
            {
                exitCode = await RunOnceAsync(environment, prepared, request, output, error, stop);
                if (keep && prepared.Dag.Spec.Workspace is not null && environment.Server.JobRunner is { } runner)
                {
                    var workspace = runner.ClaimDirectory(environment.Client.DefaultNamespace, JobFactory.WorkspaceClaimName(prepared.RunName));
                    await error.WriteLineAsync($"The run's workspace: {workspace}");
                }
            }
            if (keep)
            {
                await error.WriteLineAsync($"Data directory kept: {dataDirectory}");
            }
            else if (prepared.Dag.Spec.Workspace is not null)
            {
                await error.WriteLineAsync("The run's workspace was temporary and is gone; --keep keeps it.");
            }
            return exitCode;
        }
        finally
        {
            if (!keep)
            {
                DeleteQuietly(dataDirectory);
            }
        }
    }

    /// <summary>The checked input: the Dag to run (and the file's other Dags), its local mounts and the run's params.</summary>
    private sealed record Prepared(Dag Dag, IReadOnlyList<Dag> AllDags, IReadOnlyDictionary<string, string> Mounts,
        Dictionary<string, JsonNode?>? Params, string RunName);

    /// <summary>Everything checked before anything starts: a null result has printed what is wrong.</summary>
    private static Prepared? Prepare(RunRequest request, TextWriter error)
    {
        var chosen = DagFile.LoadValid(request.File, request.DagName, error);
        if (chosen is null)
        {
            return null;
        }
        var dag = chosen.Resource;
        // The file's other Dags are applied too (a run may wait on nothing else, but the file is applied as a whole).
        var others = ManifestFiles.Load([request.File], recursive: false).Single().Result.Dags
            .Where(d => d.Resource.Metadata.Name != dag.Metadata.Name).ToList();
        var otherErrors = others.SelectMany(d => DagValidator.Validate(d.Resource, d.Source)).Where(d => d.IsError).ToList();
        if (otherErrors.Count > 0)
        {
            ValidateCommand.Print(otherErrors, error);
            return null;
        }

        var where = $"{request.File}: dag {dag.Metadata.Name}";
        var mounts = LocalMounts.Parse(dag, Path.GetDirectoryName(Path.GetFullPath(request.File))!);
        if (mounts.Error is not null)
        {
            error.WriteLine($"{request.File}: {mounts.Error}");
            return null;
        }
        var assigned = ParamResolver.CheckAssignments(request.Params, dag.Spec.Params);
        if (!assigned.Succeeded)
        {
            foreach (var problem in assigned.Errors)
            {
                error.WriteLine($"{where}: {problem}");
            }
            error.WriteLine($"{where}: no run created");
            return null;
        }
        var runName = Names.DagRunName(dag.Metadata.Name!, Names.RunTypes.Manual, DateTimeOffset.UtcNow);
        return new Prepared(dag, [dag, .. others.Select(d => d.Resource)], mounts.Mounts,
            assigned.Values.Count == 0 ? null : assigned.Values.ToDictionary(), runName);
    }

    private static async Task<int> RunOnceAsync(LocalEnvironment environment, Prepared prepared, RunRequest request,
        TextWriter output, TextWriter error, CancellationToken stop)
    {
        var client = environment.Client;
        var ns = client.DefaultNamespace;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(request.Timeout);
        DagRun run;
        try
        {
            foreach (var dag in prepared.AllDags)
            {
                // Locally the run asked for is the only one: without its schedule the Dag creates no scheduled runs.
                var local = dag with { Metadata = dag.Metadata with { Namespace = ns }, Spec = dag.Spec with { Schedule = null }, Status = null };
                await client.ApplyAsync(KubeKinds.Dag, local, FieldManager, force: true, deadline.Token);
            }
            run = await client.CreateAsync(KubeKinds.DagRun, new DagRun
            {
                Metadata = new ObjectMeta { Name = prepared.RunName, Namespace = ns },
                Spec = new DagRunSpec { DagName = prepared.Dag.Metadata.Name!, RunType = Names.RunTypes.Manual, Params = prepared.Params },
            }, cancellationToken: deadline.Token);
            await error.WriteLineAsync($"Running dag {prepared.Dag.Metadata.Name} as {run.Metadata.Name}" +
                (request.Simulate ? " (simulated: no task commands run)" : "") + "...");
            var latest = run;
            try
            {
                run = await RunProgress.For(prepared.Dag, error).ShowAsync(report => WaitForEndAsync(client, latest, r => report(latest = r), deadline.Token));
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                run = await client.TryGetAsync(KubeKinds.DagRun, ns, prepared.RunName, CancellationToken.None) ?? latest;
                await error.WriteLineAsync(stop.IsCancellationRequested
                    ? $"k8sflow run: interrupted; run {prepared.RunName} was {run.Status?.Phase?.ToString() ?? "Queued"}: stopping its tasks"
                    : $"k8sflow run: timed out after {Durations.Format(request.Timeout)}; run {prepared.RunName} was still {run.Status?.Phase?.ToString() ?? "Queued"}: stopping its tasks");
            }
        }
        catch (KubeApiException e)
        {
            // The local cluster refused the Dag or the run (its schema is stricter than nothing but looser than validate).
            await error.WriteLineAsync($"{request.File}: dag {prepared.Dag.Metadata.Name}: the local cluster refused it: {e.Message}");
            return ExitCodes.Invalid;
        }

        await PrintFailedTaskLogsAsync(client, run, error);
        var summary = request.Json ? error : output;
        await summary.WriteAsync(RunSummary.Format(prepared.Dag, run, DateTimeOffset.UtcNow));
        if (request.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(run, K8sFlowJson.Indented));
        }
        return run.Status?.Phase == RunPhase.Succeeded ? ExitCodes.Ok : ExitCodes.RunFailed;
    }

    /// <summary>Follows the run (watch, re-getting when the watch ends or expires) until it Succeeded or Failed.</summary>
    private static async Task<DagRun> WaitForEndAsync(IKubeClient client, DagRun run, Action<DagRun> report, CancellationToken cancellationToken)
    {
        var ns = run.Metadata.Namespace;
        var name = run.Metadata.Name!;
        report(run);
        while (!RunView.IsFinished(run))
        {
            var options = new WatchOptions { ResourceVersion = run.Metadata.ResourceVersion, FieldSelector = $"metadata.name={name}" };
            await foreach (var change in client.WatchAsync(KubeKinds.DagRun, ns, options, cancellationToken))
            {
                if (change.Type == WatchEventType.Error)
                {
                    break;
                }
                if (change.Object is { } changed && changed.Metadata.Name == name && change.Type != WatchEventType.Bookmark)
                {
                    if (change.Type == WatchEventType.Deleted)
                    {
                        throw new InvalidOperationException($"run {name} was deleted while k8sflow run waited for it");
                    }
                    run = changed;
                    report(run);
                    if (RunView.IsFinished(run))
                    {
                        return run;
                    }
                }
            }
            run = await client.GetAsync(KubeKinds.DagRun, ns, name, cancellationToken);
            report(run);
        }
        return run;
    }

    /// <summary>The log of each failed task's last attempt (its Job's pods), read through the API as kubectl logs would.</summary>
    private static async Task PrintFailedTaskLogsAsync(IKubeClient client, DagRun run, TextWriter error)
    {
        var ns = run.Metadata.Namespace!;
        foreach (var task in (run.Status?.Tasks ?? []).Where(t => t.State == TaskState.Failed && t.Job is not null))
        {
            using var timeout = new CancellationTokenSource(LogReadTimeout);
            try
            {
                var pods = await client.ListAsync(KubeKinds.Pod, ns,
                    new ListOptions { LabelSelector = $"{ExecutionObserver.JobNameLabel}={task.Job}" }, timeout.Token);
                foreach (var pod in pods.Items)
                {
                    await error.WriteLineAsync($"--- log of task {task.Name} (try {task.TryNumber}, pod {pod.Metadata.Name}) ---");
                    await using var log = await client.GetPodLogAsync(ns, pod.Metadata.Name!, cancellationToken: timeout.Token);
                    using var reader = new StreamReader(log);
                    var text = await reader.ReadToEndAsync(timeout.Token);
                    await error.WriteAsync(text.Length == 0 ? "(empty)\n" : text.EndsWith('\n') ? text : text + "\n");
                }
                await error.WriteLineAsync($"--- end of log of task {task.Name} ---");
            }
            catch (Exception e) when (e is KubeApiException or OperationCanceledException or IOException)
            {
                await error.WriteLineAsync($"(the log of task {task.Name} could not be read: {e.Message})");
            }
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary directory left behind is harmless; the run's result matters more.
        }
    }
}
