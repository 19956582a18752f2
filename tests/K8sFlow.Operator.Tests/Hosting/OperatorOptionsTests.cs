using K8sFlow.Operator.Hosting;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Tests.Hosting;

public class OperatorOptionsTests
{
    private static OperatorOptionsResult Bind(params (string Key, string Value)[] settings) =>
        OperatorOptions.Bind(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void Bind_NothingSet_Defaults()
    {
        Bind().Options.Should().BeEquivalentTo(new OperatorOptions());
        new OperatorOptions().Should().BeEquivalentTo(new
        {
            Namespaces = Array.Empty<string>(),
            Workers = 4,
            ResyncPeriod = TimeSpan.FromMinutes(10),
            LogLevel = LogLevel.Information,
            LogFormat = (OperatorLogFormat?)null,
            MetricsPort = 8080,
            MaxCatchupRunsPerPass = 50,
            LeaderElection = new { Enabled = true, LeaseName = "k8sflow-operator", LeaseNamespace = (string?)null },
        });
    }

    [Fact]
    public void Bind_ReadsEverySetting()
    {
        var result = Bind(
            ("Namespaces", "team-a, team-b"),
            ("Workers", "8"),
            ("ResyncPeriod", "90s"),
            ("LeaderElection:Enabled", "false"),
            ("LeaderElection:LeaseName", "flow"),
            ("LeaderElection:LeaseNamespace", "k8sflow-system"),
            ("LeaderElection:Identity", "pod-a"),
            ("LeaderElection:LeaseDuration", "30s"),
            ("LeaderElection:RenewDeadline", "20s"),
            ("LeaderElection:RetryPeriod", "5s"),
            ("LogLevel", "debug"),
            ("LogFormat", "json"),
            ("MetricsPort", "9090"),
            ("MaxCatchupRunsPerPass", "7"));

        result.Errors.Should().BeEmpty();
        result.Options.Should().BeEquivalentTo(new OperatorOptions
        {
            Namespaces = ["team-a", "team-b"],
            Workers = 8,
            ResyncPeriod = TimeSpan.FromSeconds(90),
            LeaderElection = new LeaderElectionSettings
            {
                Enabled = false,
                LeaseName = "flow",
                LeaseNamespace = "k8sflow-system",
                Identity = "pod-a",
                LeaseDuration = TimeSpan.FromSeconds(30),
                RenewDeadline = TimeSpan.FromSeconds(20),
                RetryPeriod = TimeSpan.FromSeconds(5),
            },
            LogLevel = LogLevel.Debug,
            LogFormat = OperatorLogFormat.Json,
            MetricsPort = 9090,
            MaxCatchupRunsPerPass = 7,
        });
    }

    [Fact]
    public void Bind_NamespacesAsAList()
    {
        Bind(("Namespaces:0", "a"), ("Namespaces:1", "b"), ("Namespaces:2", "a")).Options!.Namespaces.Should().Equal("a", "b");
    }

    [Theory]
    [InlineData("auto", null)]
    [InlineData("json", OperatorLogFormat.Json)]
    [InlineData("Console", OperatorLogFormat.Console)]
    public void Bind_LogFormat(string text, OperatorLogFormat? expected)
    {
        Bind(("LogFormat", text)).Options!.LogFormat.Should().Be(expected);
    }

    [Fact]
    public void Bind_ResyncZero_MeansNever()
    {
        Bind(("ResyncPeriod", "0s")).Options!.ResyncPeriod.Should().BeNull();
    }

    [Theory]
    [InlineData("Workers", "0", "Workers: '0' is not an integer from 1 to 2147483647")]
    [InlineData("MetricsPort", "http", "MetricsPort: 'http' is not an integer from 0 to 65535")]
    [InlineData("ResyncPeriod", "10 minutes", "ResyncPeriod: '10 minutes' is not a duration; expected e.g. 30s, 10m, 1h (0s: never)")]
    [InlineData("LeaderElection:Enabled", "yes", "LeaderElection:Enabled: 'yes' is not a boolean; expected true or false")]
    [InlineData("LogLevel", "Verbose", "LogLevel: 'Verbose' is not one of Trace, Debug, Information, Warning, Error, Critical, None")]
    [InlineData("LogFormat", "xml", "LogFormat: 'xml' is not one of auto, Json, Console")]
    [InlineData("LeaderElection:RenewDeadline", "1m", "LeaderElection: expected RetryPeriod < RenewDeadline < LeaseDuration, got 2s, 1m, 15s")]
    public void Bind_BadValue_NamesTheKeyAndWhatItAccepts(string key, string value, string expected)
    {
        var result = Bind((key, value));

        result.IsValid.Should().BeFalse();
        result.Errors.Should().Equal(expected);
    }

    [Fact]
    public void Bind_SeveralBadValues_ReportsEachOne()
    {
        Bind(("Workers", "-1"), ("MetricsPort", "70000")).Errors.Should().HaveCount(2);
    }
}
