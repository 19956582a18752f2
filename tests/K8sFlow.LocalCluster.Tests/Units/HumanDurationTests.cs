using K8sFlow.LocalCluster.Tables;

namespace K8sFlow.LocalCluster.Tests.Units;

public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(119, "119s")]
    [InlineData(150, "2m30s")]
    [InlineData(300, "5m")]
    [InlineData(700, "11m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(3 * 3600 + 20 * 60, "3h20m")]
    [InlineData(10 * 3600, "10h")]
    [InlineData(2 * 86400, "2d")]
    [InlineData(2 * 86400 + 5 * 3600, "2d5h")]
    [InlineData(30 * 86400, "30d")]
    [InlineData(-1, "0s")]
    [InlineData(-5, "<invalid>")]
    public void Format_MatchesKubectlAges(int seconds, string expected) =>
        HumanDuration.Format(TimeSpan.FromSeconds(seconds)).Should().Be(expected);
}
