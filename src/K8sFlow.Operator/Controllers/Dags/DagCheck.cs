using System.Diagnostics.CodeAnalysis;
using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Scheduling;
using K8sFlow.Core.Validation;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>
/// A Dag as the controller sees it: Core's validation (<see cref="DagValidator"/>) and, when valid, its
/// <see cref="Timetable"/>. Messages name the field and task but not the Dag: they are shown on the Dag.
/// </summary>
internal sealed record DagCheck(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, Timetable? Timetable)
{
    /// <summary>Conditions and events carry the first few findings and the count of the rest.</summary>
    private const int ShownFindings = 3;

    [MemberNotNullWhen(true, nameof(Timetable))]
    public bool IsValid => Errors.Count == 0 && Timetable is not null;

    public static DagCheck Of(Dag dag)
    {
        var diagnostics = DagValidator.Validate(dag);
        var errors = diagnostics.Where(d => d.IsError).Select(OnTheDag).ToList();
        var warnings = diagnostics.Where(d => !d.IsError).Select(OnTheDag).ToList();
        if (errors.Count > 0)
        {
            return new DagCheck(errors, warnings, null);
        }
        // The validator checks the schedule fields too; the timetable has the last word on what it can run.
        var timetable = Timetable.Create(dag.Spec);
        return timetable.IsValid
            ? new DagCheck([], warnings, timetable.Timetable)
            : new DagCheck([.. timetable.Errors.Select(e => e.ToString()!)], warnings, null);
    }

    /// <summary>"2 validation errors: a; b", at most <see cref="ShownFindings"/> listed, then "; and N more".</summary>
    public string ErrorSummary => Summarize(Errors, "validation error");

    /// <summary>Null when there is nothing to warn about.</summary>
    public string? WarningSummary => Warnings.Count == 0 ? null : Summarize(Warnings, "warning");

    /// <summary>"task train: spec.tasks[2].retries: message": the Dag and the severity are said elsewhere.</summary>
    private static string OnTheDag(Diagnostic diagnostic) =>
        (diagnostic.Task is { } task ? $"task {task}: " : "")
        + (diagnostic.Field is { } field ? $"{field}: " : "")
        + diagnostic.Message;

    private static string Summarize(IReadOnlyList<string> findings, string noun)
    {
        var shown = string.Join("; ", findings.Take(ShownFindings));
        var rest = findings.Count - ShownFindings;
        var plural = findings.Count == 1 ? noun : noun + "s";
        return $"{findings.Count} {plural}: {shown}{(rest > 0 ? $"; and {rest} more" : "")}";
    }
}
