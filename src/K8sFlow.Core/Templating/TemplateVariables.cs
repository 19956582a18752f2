namespace K8sFlow.Core.Templating;

/// <summary>The names a template may use (spec §10): the one list validation, rendering and messages share.</summary>
public static class TemplateVariables
{
    public const string Ds = "ds";
    public const string DsNodash = "ds_nodash";
    public const string Ts = "ts";
    public const string TsNodash = "ts_nodash";
    public const string LogicalDate = "logical_date";
    public const string DataIntervalStart = "data_interval_start";
    public const string DataIntervalEnd = "data_interval_end";
    public const string RunId = "run_id";
    public const string DagRunConf = "dag_run.conf";
    public const string Params = "params";
    public const string Tasks = "tasks";
    public const string Macros = "macros";
    public const string DsAdd = "ds_add";

    /// <summary>Variables that need the run's logical date.</summary>
    public static readonly IReadOnlyList<string> Dates =
        [Ds, DsNodash, Ts, TsNodash, LogicalDate, DataIntervalStart, DataIntervalEnd];

    /// <summary>Single-word variables.</summary>
    public static readonly IReadOnlyList<string> Simple = [.. Dates, RunId];

    /// <summary>Everything, as a user would write it (for "known: ..." messages).</summary>
    public static readonly IReadOnlyList<string> Documented =
        [.. Simple, DagRunConf, "params.NAME", "tasks.TASK.outputs.KEY", "macros.ds_add(ds, n)"];
}
