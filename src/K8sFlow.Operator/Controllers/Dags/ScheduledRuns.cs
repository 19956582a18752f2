using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;

namespace K8sFlow.Operator.Controllers.Dags;

/// <summary>Turns a <see cref="PlannedRun"/> of Core's timetable into the DagRun object to create.</summary>
public static class ScheduledRuns
{
    /// <summary>
    /// The DagRun for <paramref name="planned"/>: named <see cref="PlannedRun.DagRunName"/> (deterministic, so
    /// creating it twice answers AlreadyExists instead of duplicating it), labelled with its Dag and run type,
    /// the Airflow run id in an annotation, every date in the spec.
    /// <para>
    /// No ownerReference to the Dag, deliberately: the garbage collector deletes objects whose owners are
    /// all gone, so deleting (or re-creating) a Dag would silently wipe its run history. Airflow keeps runs
    /// when a DAG goes away, and so does K8sFlow; <c>kubectl delete dagruns -l k8sflow.io/dag=NAME</c>
    /// removes them on purpose. A run finds its Dag through <c>spec.dagName</c> and the label.
    /// </para>
    /// </summary>
    public static DagRun ToDagRun(Dag dag, PlannedRun planned)
    {
        var dagName = dag.Metadata.Name!;
        return new DagRun
        {
            Metadata = new ObjectMeta
            {
                Name = planned.DagRunName(dagName),
                Namespace = dag.Metadata.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [K8sFlowApi.Labels.Dag] = dagName,
                    [K8sFlowApi.Labels.RunType] = planned.RunType,
                    [K8sFlowApi.Labels.ManagedBy] = K8sFlowApi.Labels.ManagedByValue,
                },
                Annotations = new Dictionary<string, string> { [K8sFlowApi.Annotations.RunId] = planned.RunId },
            },
            Spec = new DagRunSpec
            {
                DagName = dagName,
                RunType = planned.RunType,
                LogicalDate = planned.LogicalDate,
                DataIntervalStart = planned.DataIntervalStart,
                DataIntervalEnd = planned.DataIntervalEnd,
                RunAfter = planned.RunAfter,
            },
        };
    }
}
