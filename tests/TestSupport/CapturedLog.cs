using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SkimGuard.TestSupport;

/// <summary>Every log line a service writes, and every response body a test read: searched for card numbers.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public ConcurrentQueue<string> Responses { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}
