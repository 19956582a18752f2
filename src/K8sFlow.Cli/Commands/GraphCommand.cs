using System.CommandLine;
using K8sFlow.Cli.Graphs;

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
        var chosen = DagFile.LoadValid(path, dagName, error);
        if (chosen is null)
        {
            return ExitCodes.Invalid;
        }
        output.Write(GraphRenderer.Render(chosen.Resource, format));
        return ExitCodes.Ok;
    }
}
