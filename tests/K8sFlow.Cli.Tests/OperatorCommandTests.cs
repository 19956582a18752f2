using static K8sFlow.Cli.Tests.CliRunner;

namespace K8sFlow.Cli.Tests;

public class OperatorCommandTests
{
    [Fact]
    public void Operator_InvalidFlag_ExitsTwoNamingTheSetting()
    {
        var result = Run("operator", "--workers=0", "--leader-election=false");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("Workers").And.Contain("'0'");
    }
}
