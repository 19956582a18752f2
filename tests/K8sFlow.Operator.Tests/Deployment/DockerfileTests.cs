using System.Text.RegularExpressions;
using K8sFlow.Core.Tests.Crds;

namespace K8sFlow.Operator.Tests.Deployment;

/// <summary>
/// The Dockerfile and the chart describe the same container (no engine runs here to build it):
/// the user the image runs as, the binary and command it starts.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(RepoFiles.PathOf("Dockerfile"));

    [GeneratedRegex(@"^FROM\s+(?:--platform=\S+\s+)?(?<image>\S+)")]
    private static partial Regex From();

    [Fact]
    public void Dockerfile_BuildsWithTheSdk_RunsOnAChiseledAspNetImage()
    {
        var stages = Lines.Select(line => From().Match(line)).Where(m => m.Success).Select(m => m.Groups["image"].Value).ToList();

        stages.Should().HaveCount(2);
        stages[0].Should().StartWith("mcr.microsoft.com/dotnet/sdk:");
        stages[1].Should().StartWith("mcr.microsoft.com/dotnet/aspnet:").And.EndWith("-noble-chiseled");
    }

    [Fact]
    public void Dockerfile_RuntimeStage_CarriesTheTimeZoneDatabase()
    {
        FinalStage().Should().Contain("COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo",
            "Dag schedules name IANA time zones and chiseled images have no tzdata");
    }

    [Fact]
    public async Task Dockerfile_User_IsTheChartsRunAsUserAndGroup()
    {
        var user = FinalStage().Single(line => line.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..];

        var pod = (await HelmChart.TemplateAsync()).Single("Deployment")["spec"]!["template"]!["spec"]!["securityContext"]!;

        user.Should().Be($"{pod["runAsUser"]!.GetValue<long>()}:{pod["runAsGroup"]!.GetValue<long>()}").And.Be("65532:65532");
    }

    [Fact]
    public void Dockerfile_Entrypoint_RunsTheCliOperatorCommand()
    {
        var assemblyName = Regex.Match(File.ReadAllText(RepoFiles.PathOf("src/K8sFlow.Cli/K8sFlow.Cli.csproj")), "<AssemblyName>(.+)</AssemblyName>").Groups[1].Value;

        FinalStage().Should().Contain($"ENTRYPOINT [\"/app/{assemblyName}\", \"operator\"]");
    }

    private static List<string> FinalStage() =>
        [.. Lines.Skip(Array.FindLastIndex(Lines, line => From().IsMatch(line)))];
}
