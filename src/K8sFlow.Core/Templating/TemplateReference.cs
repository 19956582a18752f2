namespace K8sFlow.Core.Templating;

/// <summary>What a template expression reads; validation checks each against the Dag.</summary>
public abstract record TemplateReference
{
    private TemplateReference() { }

    /// <summary>A built-in variable: ds, ts, run_id, dag_run.conf... (see <see cref="TemplateVariables"/>).</summary>
    public sealed record Variable(string Name) : TemplateReference;

    /// <summary><c>params.NAME</c> (possibly followed by a path into the param's JSON value).</summary>
    public sealed record Param(string Name) : TemplateReference;

    /// <summary><c>tasks.TASK.outputs.KEY</c>: an output of an upstream task.</summary>
    public sealed record TaskOutput(string Task, string Key) : TemplateReference;
}
