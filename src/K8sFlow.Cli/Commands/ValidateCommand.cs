using System.CommandLine;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Validation;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow validate FILE...</c>: loads and validates Dag and DagRun manifests. Diagnostics (errors,
/// warnings, skipped documents) go to stderr one per line; one summary line per resource goes to stdout.
/// Exit 0 when everything is valid (warnings allowed), 2 on any error.
/// </summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Manifest files, or directories of *.yaml, *.yml and *.json files",
            Arity = ArgumentArity.OneOrMore,
        };
        var recursive = new Option<bool>("--recursive", "-R") { Description = "Also read the subdirectories of directories" };
        var command = new Command("validate", "Check Dag and DagRun manifests without a cluster") { paths, recursive };
        command.SetAction(parse => Run(
            parse.GetValue(paths) ?? [],
            parse.GetValue(recursive),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(IReadOnlyList<string> paths, bool recursive, TextWriter output, TextWriter error)
    {
        var files = ManifestFiles.Load(paths, recursive);
        // A DagRun's params are checked against its Dag when the Dag is among the files.
        var dags = files.SelectMany(f => f.Result.Dags).Select(d => d.Resource)
            .Where(d => d.Metadata.Name is not null)
            .DistinctBy(d => d.Metadata.Name)
            .ToDictionary(d => d.Metadata.Name!, StringComparer.Ordinal);
        var anyError = false;
        foreach (var file in files)
        {
            Print(file.Result.Diagnostics, error);
            anyError |= file.Result.HasErrors;
            var loadErrors = file.Result.Diagnostics.Count(d => d.IsError);
            foreach (var dag in file.Result.Dags)
            {
                var diagnostics = DagValidator.Validate(dag.Resource, dag.Source);
                Print(diagnostics, error);
                anyError |= diagnostics.Any(d => d.IsError);
                var tasks = dag.Resource.Spec.Tasks.Count;
                output.WriteLine($"{file.Path}: dag {dag.Resource.Metadata.Name} {Verdict(diagnostics, $"{tasks} {Plural(tasks, "task")}")}");
            }
            foreach (var run in file.Result.DagRuns)
            {
                var dag = dags.GetValueOrDefault(run.Resource.Spec.DagName);
                var diagnostics = DagRunValidator.Validate(run.Resource, dag, run.Source);
                Print(diagnostics, error);
                anyError |= diagnostics.Any(d => d.IsError);
                var name = run.Resource.Metadata.Name ?? run.Resource.Metadata.GenerateName;
                var detail = dag is null ? $"dag {run.Resource.Spec.DagName} not among these files: params not checked" : $"dag {dag.Metadata.Name}";
                output.WriteLine($"{file.Path}: dagrun {name} {Verdict(diagnostics, detail)}");
            }
            if (loadErrors > 0)
            {
                output.WriteLine($"{file.Path}: invalid ({loadErrors} {Plural(loadErrors, "error")})");
            }
            else if (file.Result.Dags.Count + file.Result.DagRuns.Count == 0)
            {
                output.WriteLine($"{file.Path}: no Dag or DagRun found");
            }
        }
        return anyError ? ExitCodes.Invalid : ExitCodes.Ok;
    }

    internal static void Print(IEnumerable<Diagnostic> diagnostics, TextWriter error)
    {
        foreach (var diagnostic in diagnostics)
        {
            error.WriteLine(diagnostic);
        }
    }

    private static string Verdict(IReadOnlyList<Diagnostic> diagnostics, string detail)
    {
        var errors = diagnostics.Count(d => d.IsError);
        var warnings = diagnostics.Count(d => d.Severity == Severity.Warning);
        var warningText = warnings > 0 ? $", {warnings} {Plural(warnings, "warning")}" : "";
        return errors > 0
            ? $"invalid ({errors} {Plural(errors, "error")}{warningText})"
            : $"valid ({detail}{warningText})";
    }

    internal static string Plural(int count, string noun) => count == 1 ? noun : noun + "s";
}
