using System.CommandLine;
using K8sFlow.Cli;
using K8sFlow.Cli.Commands;

return Program.Run(args, Console.Out, Console.Error);

/// <summary>The <c>k8sflow</c> command line: one class per command in Commands/, each with <c>Create()</c>.</summary>
public partial class Program
{
    public static RootCommand BuildRootCommand() => new("k8sflow: run Airflow-style DAGs on Kubernetes")
    {
        ValidateCommand.Create(),
        GraphCommand.Create(),
        ScheduleCommand.Create(),
        CrdsCommand.Create(),
        OperatorCommand.Create(),
        DevCommand.Create(),
        RunCommand.Create(),
        TriggerCommand.Create(),
        RunsCommand.Create(),
        StatusCommand.Create(),
        LogsCommand.Create(),
        PatchCommands.Pause(),
        PatchCommands.Unpause(),
        PatchCommands.Cancel(),
        BackfillCommand.Create(),
        ClearCommand.Create(),
    };

    /// <summary>
    /// Parses and runs one command line, writing to the given streams (tests pass StringWriters).
    /// Never lets an exception out: an unexpected one becomes a one-line message and exit code 1.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error) => Run(BuildRootCommand(), args, output, error);

    internal static int Run(RootCommand root, string[] args, TextWriter output, TextWriter error)
    {
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return root.Parse(args).Invoke(configuration);
        }
        catch (Exception e)
        {
            // The top-level catch the CLI promises: users get one line, not a stack trace.
            error.WriteLine($"k8sflow: unexpected error: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Unexpected;
        }
    }
}
