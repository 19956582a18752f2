using K8sFlow.Core.Manifests;

namespace K8sFlow.Core.Validation;

/// <summary>Collects diagnostics for one resource, each located through its <see cref="SourceMap"/>.</summary>
internal sealed class Findings(SourceMap source, string? dag, string? dagRun)
{
    public List<Diagnostic> All { get; } = [];

    public void Error(string field, string message, string? task = null) => Add(Severity.Error, field, message, task);

    public void Warning(string field, string message, string? task = null) => Add(Severity.Warning, field, message, task);

    private void Add(Severity severity, string field, string message, string? task) =>
        All.Add(source.Diagnose(severity, field, message) with
        {
            Dag = dag,
            DagRun = dagRun,
            Task = string.IsNullOrEmpty(task) ? null : task,
        });
}
