using K8sFlow.Cli.Commands;
using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Validation;

namespace K8sFlow.Cli;

/// <summary>Loads the one valid Dag a command works on from a manifest file, printing why when there is none.</summary>
internal static class DagFile
{
    /// <summary>The chosen Dag, or null after printing its errors (the caller exits with <see cref="ExitCodes.Invalid"/>).</summary>
    public static LoadedManifest<Dag>? LoadValid(string path, string? dagName, TextWriter error)
    {
        var file = ManifestFiles.Load([path], recursive: false).Single();
        ValidateCommand.Print(file.Result.Diagnostics.Where(d => d.IsError), error);
        if (file.Result.HasErrors)
        {
            return null;
        }
        var dags = file.Result.Dags;
        var names = string.Join(", ", dags.Select(d => d.Resource.Metadata.Name));
        var chosen = dagName is null
            ? (dags.Count == 1 ? dags[0] : null)
            : dags.FirstOrDefault(d => d.Resource.Metadata.Name == dagName);
        if (chosen is null)
        {
            error.WriteLine(dagName is not null ? $"{path}: no dag \"{dagName}\" (found: {(names.Length > 0 ? names : "none")})"
                : dags.Count == 0 ? $"{path}: no Dag found"
                : $"{path}: {dags.Count} Dags ({names}); choose one with --dag");
            return null;
        }
        var diagnostics = DagValidator.Validate(chosen.Resource, chosen.Source);
        ValidateCommand.Print(diagnostics, error);
        return diagnostics.Any(d => d.IsError) ? null : chosen;
    }
}
