using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace K8sFlow.Operator.Hosting;

/// <summary>Serilog as the operator's logger: one JSON object per line in a cluster, readable lines locally.</summary>
public static class OperatorLogging
{
    /// <summary>Scope values (namespace, dagRun, task) appear as properties: JSON fields, or {Properties} in text.</summary>
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}";

    public static Serilog.ILogger Create(OperatorOptions options, bool inCluster)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(ToSerilog(options.LogLevel))
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        var json = options.LogFormat == LogFormat.Json || (options.LogFormat == LogFormat.Auto && inCluster);
        configuration = json
            ? configuration.WriteTo.Console(new JsonFormatter(renderMessage: true))
            : configuration.WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        return configuration.CreateLogger();
    }

    public static LogEventLevel ToSerilog(MsLogLevel level) => level switch
    {
        MsLogLevel.Trace => LogEventLevel.Verbose,
        MsLogLevel.Debug => LogEventLevel.Debug,
        MsLogLevel.Information => LogEventLevel.Information,
        MsLogLevel.Warning => LogEventLevel.Warning,
        MsLogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}
