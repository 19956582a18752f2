using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.IntegrationTests.Support;

/// <summary>The last log lines of the operators and the job runner, shown when a wait fails.</summary>
public sealed class RecentLogs
{
    private const int Kept = 400;
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>A logger factory whose lines carry <paramref name="source"/> (e.g. the operator instance).</summary>
    public ILoggerFactory For(string source) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(LogLevel.Debug);
        builder.AddProvider(new Provider(this, source));
    });

    /// <summary>Raised after each line: a change inside an operator (leadership, say) usually logs one.</summary>
    public event Action? Added;

    public void Add(string source, string line)
    {
        _lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} [{source}] {line}");
        while (_lines.Count > Kept && _lines.TryDequeue(out _))
        {
        }
        Added?.Invoke();
    }

    public string Tail(int count = 60) => string.Join("\n", _lines.TakeLast(count));

    private sealed class Provider(RecentLogs logs, string source) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(logs, source, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(RecentLogs logs, string source, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Add(source, $"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
    }
}
