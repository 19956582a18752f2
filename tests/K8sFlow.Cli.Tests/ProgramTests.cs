using System.CommandLine;
using static K8sFlow.Cli.Tests.CliRunner;

namespace K8sFlow.Cli.Tests;

public class ProgramTests
{
    [Fact]
    public void Help_ListsTheCommands()
    {
        var result = Run("--help");

        result.ExitCode.Should().Be(0);
        result.Output.Should().Contain("validate").And.Contain("graph");
    }

    [Fact]
    public void Run_CommandThrows_PrintsOneLineAndExits1()
    {
        var root = new RootCommand();
        var boom = new Command("boom");
        boom.SetAction(int (_) => throw new InvalidOperationException("disk on fire"));
        root.Subcommands.Add(boom);
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = Program.Run(root, ["boom"], output, error);

        exitCode.Should().Be(1);
        error.ToString().Should().Be("k8sflow: unexpected error: InvalidOperationException: disk on fire" + Environment.NewLine);
    }
}
