namespace K8sFlow.Cli;

/// <summary>Process exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A bug or an environment failure (also System.CommandLine's code for usage errors).</summary>
    public const int Unexpected = 1;

    /// <summary>The input is invalid: a manifest error, a missing file, an unknown Dag.</summary>
    public const int Invalid = 2;

    /// <summary><c>k8sflow run</c>: the run Failed, timed out or was interrupted (the same code as <see cref="Unexpected"/>, as Airflow's CLI).</summary>
    public const int RunFailed = 1;
}
