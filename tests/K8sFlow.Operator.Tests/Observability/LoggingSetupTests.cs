using System.Text.Json.Nodes;
using K8sFlow.Operator.Observability;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Tests.Observability;

public sealed class LoggingSetupTests
{
    private static readonly Dictionary<string, object?> ReconcileScope = new()
    {
        ["namespace"] = "ml",
        ["run"] = "ml-pipeline-manual-x7k2p",
    };

    [Fact]
    public void Json_OneObjectPerLine_WithLevelRenderedMessageAndScopeProperties()
    {
        var lines = Log(OperatorLogFormat.Json, LogLevel.Information, logger =>
        {
            using (logger.BeginScope(ReconcileScope))
            using (logger.BeginScope(new Dictionary<string, object?> { ["task"] = "train" }))
            {
                logger.LogInformation("Created Job {Job}", "ml-pipeline-manual-x7k2p-train-1");
            }
        });

        var entry = JsonNode.Parse(lines.Single())!;
        entry["Level"]!.GetValue<string>().Should().Be("Information");
        entry["RenderedMessage"]!.GetValue<string>().Should().Be("Created Job \"ml-pipeline-manual-x7k2p-train-1\"");
        var properties = entry["Properties"]!;
        properties["namespace"]!.GetValue<string>().Should().Be("ml");
        properties["run"]!.GetValue<string>().Should().Be("ml-pipeline-manual-x7k2p");
        properties["task"]!.GetValue<string>().Should().Be("train");
        properties["Job"]!.GetValue<string>().Should().Be("ml-pipeline-manual-x7k2p-train-1");
        properties["SourceContext"]!.GetValue<string>().Should().Be("K8sFlow.Operator.Controllers.DagRunController");
    }

    [Fact]
    public void Json_Exception_IsWrittenWithTheEvent()
    {
        var lines = Log(OperatorLogFormat.Json, LogLevel.Information,
            logger => logger.LogError(new InvalidOperationException("lease lost"), "Reconcile failed"));

        JsonNode.Parse(lines.Single())!["Exception"]!.GetValue<string>().Should().Contain("InvalidOperationException: lease lost");
    }

    [Fact]
    public void Console_ReadableLine_WithLevelCategoryMessageAndScope()
    {
        var lines = Log(OperatorLogFormat.Console, LogLevel.Information, logger =>
        {
            using (logger.BeginScope(ReconcileScope))
            {
                logger.LogWarning("Task {Task} failed, retrying", "train");
            }
        });

        lines.Single().Should().MatchRegex(
            @"^\[\d\d:\d\d:\d\d\.\d{3} WRN\] K8sFlow\.Operator\.Controllers\.DagRunController: Task train failed, retrying "
            + @"\{""namespace"":""ml"",""run"":""ml-pipeline-manual-x7k2p""\}$");
    }

    [Theory]
    [InlineData(LogLevel.Information, new[] { "info", "warning" })]
    [InlineData(LogLevel.Debug, new[] { "debug", "info", "warning" })]
    [InlineData(LogLevel.Warning, new[] { "warning" })]
    public void Level_DropsEventsBelowIt(LogLevel level, string[] written)
    {
        var lines = Log(OperatorLogFormat.Json, level, logger =>
        {
            logger.LogDebug("debug");
            logger.LogInformation("info");
            logger.LogWarning("warning");
        });

        lines.Select(line => JsonNode.Parse(line)!["RenderedMessage"]!.GetValue<string>()).Should().Equal(written);
    }

    [Fact]
    public void FrameworkInformation_IsQuiet_ItsWarningsPass()
    {
        var output = new StringWriter();
        using (var factory = LoggerFactory.Create(builder => builder.Configure(OperatorLogFormat.Json, LogLevel.Information, output)))
        {
            var aspNet = factory.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware");
            aspNet.LogInformation("Executing endpoint '/metrics'");
            aspNet.LogWarning("Slow request");
        }

        Lines(output).Select(line => JsonNode.Parse(line)!["RenderedMessage"]!.GetValue<string>()).Should().Equal("Slow request");
    }

    private static List<string> Log(OperatorLogFormat format, LogLevel level, Action<ILogger> write)
    {
        var output = new StringWriter();
        // Disposing the factory disposes the Serilog logger: everything is flushed when it returns.
        using (var factory = LoggerFactory.Create(builder => builder.Configure(format, level, output)))
        {
            write(factory.CreateLogger("K8sFlow.Operator.Controllers.DagRunController"));
        }
        return Lines(output);
    }

    private static List<string> Lines(StringWriter output) =>
        [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
