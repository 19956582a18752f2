using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Formatting.Json;

namespace K8sFlow.Operator.Observability;

/// <summary>Json: one JSON object per line, for log collectors in a cluster. Console: readable lines for a terminal.</summary>
public enum OperatorLogFormat
{
    Json,
    Console,
}

/// <summary>
/// Serilog behind Microsoft.Extensions.Logging. ILogger scopes (the controllers' namespace, run and
/// task) become properties of every event written inside them: top-level "Properties" in JSON,
/// a trailing {...} on console lines.
/// </summary>
public static class LoggingSetup
{
    public const string ConsoleTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}";

    // Frameworks chatter (one line per /metrics scrape, per HTTP call); their warnings still pass.
    private static readonly string[] NoisyCategories = ["Microsoft.AspNetCore", "System.Net.Http"];

    /// <summary>
    /// Replaces the builder's providers with Serilog at <paramref name="level"/>. Events go to
    /// stdout, or to <paramref name="output"/> when given (tests).
    /// </summary>
    public static ILoggingBuilder Configure(this ILoggingBuilder builder, OperatorLogFormat format, LogLevel level, TextWriter? output = null)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(level);
        builder.AddSerilog(CreateLogger(format, level, output), dispose: true);
        return builder;
    }

    /// <summary>The Serilog logger <see cref="Configure"/> installs.</summary>
    public static Logger CreateLogger(OperatorLogFormat format, LogLevel level, TextWriter? output = null)
    {
        var minimum = ToSerilog(level);
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            .Enrich.FromLogContext();
        foreach (var category in NoisyCategories)
        {
            configuration.MinimumLevel.Override(category, (LogEventLevel)Math.Max((int)minimum, (int)LogEventLevel.Warning));
        }
        var formatter = Formatter(format);
        return (output is null
                ? configuration.WriteTo.Console(formatter)
                : configuration.WriteTo.Sink(new TextWriterSink(formatter, output)))
            .CreateLogger();
    }

    private static ITextFormatter Formatter(OperatorLogFormat format) => format switch
    {
        OperatorLogFormat.Json => new JsonFormatter(renderMessage: true),
        OperatorLogFormat.Console => new MessageTemplateTextFormatter(ConsoleTemplate),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "log format must be Json or Console"),
    };

    private static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        // None: Microsoft.Extensions.Logging drops everything before Serilog sees it.
        _ => LogEventLevel.Fatal,
    };

    private sealed class TextWriterSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
    {
        private readonly Lock _lock = new();

        public void Emit(LogEvent logEvent)
        {
            lock (_lock)
            {
                formatter.Format(logEvent, output);
                output.Flush();
            }
        }
    }
}
