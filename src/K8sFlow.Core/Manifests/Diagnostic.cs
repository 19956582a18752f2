using System.Text;

namespace K8sFlow.Core.Manifests;

public enum Severity
{
    Error,
    Warning,
    Info,
}

/// <summary>
/// One finding about a manifest: errors are data, never exceptions. Every part that is known names the
/// culprit, so the one-line form reads like a compiler message:
/// <c>dag.yaml:14: dag ml-pipeline: task train: spec.tasks[4].retries: expected an integer, got "two"</c>.
/// </summary>
public sealed record Diagnostic(Severity Severity, string Message)
{
    /// <summary>The source the manifest came from (a file path), when known.</summary>
    public string? File { get; init; }

    /// <summary>1-based line in <see cref="File"/>, when known.</summary>
    public int? Line { get; init; }

    /// <summary>0-based index of the YAML document in a multi-document file.</summary>
    public int? DocumentIndex { get; init; }

    public string? Dag { get; init; }
    public string? DagRun { get; init; }
    public string? Task { get; init; }

    /// <summary>Path of the offending field, e.g. <c>spec.tasks[2].retries</c>.</summary>
    public string? Field { get; init; }

    public bool IsError => Severity == Severity.Error;

    public override string ToString()
    {
        var sb = new StringBuilder();
        if (File is not null)
        {
            sb.Append(File);
            if (Line is not null)
            {
                sb.Append(':').Append(Line.Value);
            }
            sb.Append(": ");
        }
        // Errors read like the example in the brief; other severities say what they are.
        if (Severity != Severity.Error)
        {
            sb.Append(Severity == Severity.Warning ? "warning: " : "info: ");
        }
        if (Dag is not null)
        {
            sb.Append("dag ").Append(Dag).Append(": ");
        }
        if (DagRun is not null)
        {
            sb.Append("dagrun ").Append(DagRun).Append(": ");
        }
        if (Task is not null)
        {
            sb.Append("task ").Append(Task).Append(": ");
        }
        if (Field is not null)
        {
            sb.Append(Field).Append(": ");
        }
        return sb.Append(Message).ToString();
    }
}
