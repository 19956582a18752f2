using System.CommandLine;
using K8sFlow.Cli.Graphs;
using K8sFlow.Core.Validation;

namespace K8sFlow.Cli.Commands;

/// <summary>
/// <c>k8sflow graph FILE [--dag NAME] [--format ascii|mermaid|dot]</c>: draws a Dag's tasks and dependencies
/// on stdout. An invalid Dag is not drawn: its diagnostics go to stderr and the exit code is 2.
/// </summary>
public static class GraphCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("file") { Description = "A manifest file holding the Dag" };
        var dagName = new Option<string?>("--dag") { Description = "The Dag to draw when the file holds several" };
        var format = new Option<string>("--format", "-f")
        {
            Description = "ascii (a layered listing), mermaid (a flowchart for Markdown) or dot (Graphviz)",
            DefaultValueFactory = _ => GraphFormats.Ascii,
        };
        format.AcceptOnlyFromAmong([.. GraphFormats.All]);
        var command = new Command("graph", "Draw a Dag's task graph") { path, dagName, format };
        command.SetAction(parse => Run(
            parse.GetValue(path)!,
            parse.GetValue(dagName),
            parse.GetValue(format) ?? GraphFormats.Ascii,
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(string path, string? dagName, string format, TextWriter output, TextWriter error)
    {
        var file = ManifestFiles.Load([path], recursive: false).Single();
        ValidateCommand.Print(file.Result.Diagnostics.Where(d => d.IsError), error);
        if (file.Result.HasErrors)
        {
            return ExitCodes.Invalid;
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
            return ExitCodes.Invalid;
        }
        var diagnostics = DagValidator.Validate(chosen.Resource, chosen.Source);
        ValidateCommand.Print(diagnostics, error);
        if (diagnostics.Any(d => d.IsError))
        {
            return ExitCodes.Invalid;
        }
        output.Write(GraphRenderer.Render(chosen.Resource, format));
        return ExitCodes.Ok;
    }
}
