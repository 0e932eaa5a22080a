using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SkimGuard.Kafka;

/// <summary>
/// Builds a service's Kafka clients from <see cref="KafkaClientSettings"/>, each with the same handlers: librdkafka's
/// warnings logged, and a fatal error (a fenced static member, an idempotent producer that lost its sequence) stopping
/// the service with exit code <see cref="FatalExitCode"/>, so that its orchestrator restarts it with a fresh client.
/// A client in that state never recovers by itself; a service that went on would look alive and do nothing.
/// </summary>
public sealed partial class KafkaClients(KafkaClientSettings settings, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
{
    /// <summary>The process exit code after a fatal Kafka error (2 is a settings problem; 1 an unhandled exception).</summary>
    public const int FatalExitCode = 3;

    private readonly ILogger _logger = loggers.CreateLogger<KafkaClients>();
    private int _stopping;

    /// <summary>The settings the clients are built from.</summary>
    public KafkaClientSettings Settings => settings;

    /// <summary>A producer of string keys and byte values with the shared handlers.</summary>
    public IProducer<string, byte[]> Producer(ProducerConfig config) =>
        new ProducerBuilder<string, byte[]>(config).SetLogHandler(Log).SetErrorHandler(OnError).Build();

    /// <summary>
    /// A consumer builder that logs librdkafka's warnings; the consume loop adds its error, rebalance and statistics
    /// handlers (a fatal consumer error stops the loop first, then the service).
    /// </summary>
    public ConsumerBuilder<string, byte[]> ConsumerBuilder(ConsumerConfig config) =>
        new ConsumerBuilder<string, byte[]>(config).SetLogHandler(Log);

    /// <summary>An admin client with the same security settings.</summary>
    public IAdminClient Admin(string bootstrapServers, string service) =>
        new AdminClientBuilder(settings.Admin(bootstrapServers, service)).SetLogHandler(Log).Build();

    /// <summary>A logger named for <paramref name="type"/>.</summary>
    public ILogger LoggerFor(Type type) => loggers.CreateLogger(type);

    /// <summary>Logs a fatal error once, sets the exit code and stops the host.</summary>
    public void StopOnFatal(string client, Error error)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
            return;
        LogFatal(client, error.Code, error.Reason, FatalExitCode);
        Environment.ExitCode = FatalExitCode;
        lifetime.StopApplication();
    }

    private void OnError(IClient client, Error error)
    {
        if (error.IsFatal)
            StopOnFatal(client.Name, error);
        else
            LogError(client.Name, error.Reason);
    }

    private void Log(IClient client, LogMessage message)
    {
        if (message.Level <= SyslogLevel.Warning)
            LogWarning(client.Name, message.Message);
    }

    [LoggerMessage(LogLevel.Critical, "Kafka client {Client} hit a fatal error ({Code}: {Reason}); stopping the service with exit code {ExitCode} so that it is restarted with a new client")]
    private partial void LogFatal(string client, ErrorCode code, string reason, int exitCode);

    [LoggerMessage(LogLevel.Warning, "Kafka client {Client}: {Reason}")]
    private partial void LogError(string client, string reason);

    [LoggerMessage(LogLevel.Warning, "librdkafka {Client}: {Message}")]
    private partial void LogWarning(string client, string message);
}

/// <summary>Registers the Kafka layer in a service.</summary>
public static class KafkaServiceCollectionExtensions
{
    /// <summary>Adds <see cref="KafkaClientSettings"/> (from the Kafka:Client section) and <see cref="KafkaClients"/>.</summary>
    public static IServiceCollection AddKafkaClients(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(KafkaClientSettings.From(configuration));
        services.AddSingleton<KafkaClients>();
        return services;
    }
}
