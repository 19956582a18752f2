using System.CommandLine;
using K8sFlow.Cli.Commands;
using K8sFlow.Core.Crds;

namespace K8sFlow.Cli.Tests.Crds;

public sealed class CrdsCommandTests : IDisposable
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("k8sflow-crds-");

    public void Dispose() => _output.Delete(recursive: true);

    private static (int ExitCode, string Stdout) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var root = new RootCommand { CrdsCommand.Create() };
        var exitCode = root.Parse(["crds", .. args]).Invoke(new InvocationConfiguration { Output = stdout });
        return (exitCode, stdout.ToString());
    }

    [Fact]
    public void Crds_WritesEveryGeneratedCrdIntoTheOutputDir()
    {
        var target = Path.Combine(_output.FullName, "nested", "crds");

        var (exitCode, stdout) = Run("--output-dir", target);

        exitCode.Should().Be(0);
        foreach (var crd in CrdGenerator.GenerateAll())
        {
            File.ReadAllText(Path.Combine(target, crd.FileName)).Should().Be(crd.Yaml);
            stdout.Should().Contain(crd.FileName);
        }
    }

    [Fact]
    public void Crds_IsHiddenFromHelp()
    {
        CrdsCommand.Create().Hidden.Should().BeTrue("it is a maintainer tool run by `make crds`");
    }
}
