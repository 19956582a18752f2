namespace K8sFlow.Core.Api;

/// <summary>Group, version, kinds and the well-known label/annotation keys: one place for each.</summary>
public static class K8sFlowApi
{
    public const string Group = "k8sflow.io";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;
    public const string DagKind = "Dag";
    public const string DagRunKind = "DagRun";
    public const string DagPlural = "dags";
    public const string DagRunPlural = "dagruns";

    public static class Labels
    {
        public const string Dag = "k8sflow.io/dag";
        public const string DagRun = "k8sflow.io/dag-run";
        public const string Task = "k8sflow.io/task";
        public const string TryNumber = "k8sflow.io/try-number";
        public const string RunType = "k8sflow.io/run-type";
        public const string ManagedBy = "app.kubernetes.io/managed-by";
        public const string ManagedByValue = "k8sflow";
    }

    public static class Annotations
    {
        /// <summary>The Airflow-style run id (holds ':' and '+', so it cannot be a label value).</summary>
        public const string RunId = "k8sflow.io/run-id";
        /// <summary>The task's original name (label values are limited to 63 characters).</summary>
        public const string TaskName = "k8sflow.io/task-name";
        public const string LogicalDate = "k8sflow.io/logical-date";
        /// <summary>
        /// On a Dag, for local runs only (<c>k8sflow run</c>): <c>/app=ml-pipeline/app[,...]</c>, container paths that
        /// name directories relative to the manifest file. Clusters ignore it.
        /// </summary>
        public const string LocalMounts = "k8sflow.io/local-mounts";
    }

    /// <summary>Environment variables every task container receives.</summary>
    public static class Env
    {
        public const string Dag = "K8SFLOW_DAG";
        public const string RunId = "K8SFLOW_RUN_ID";
        public const string Task = "K8SFLOW_TASK";
        public const string TryNumber = "K8SFLOW_TRY_NUMBER";
        public const string LogicalDate = "K8SFLOW_LOGICAL_DATE";
        public const string Params = "K8SFLOW_PARAMS";
        public const string Output = "K8SFLOW_OUTPUT";
        public const string Workspace = "K8SFLOW_WORKSPACE";
    }
}
