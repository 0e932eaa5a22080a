using System.Text.Json;
using Confluent.Kafka;
using SkimGuard.Alerts.Store;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Alerts.Consuming;

/// <summary>
/// Reads the detector's alert states and cards at risk into the store. An offset is stored only after its message is
/// in the database, and applying a message twice changes nothing, so a restart or a replay from the start is harmless.
/// </summary>
public sealed partial class AlertFeedConsumer(AlertsOptions options, AlertStore store, AlertEvents events, ILogger<AlertFeedConsumer> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            AllowAutoCreateTopics = true,
            FetchWaitMaxMs = 50,
            // Not librdkafka's 1 s pause in fetching once its local queue fills (a replay of a long history).
            FetchQueueBackoffMs = 10,
            TopicMetadataRefreshIntervalMs = 10_000,
            SessionTimeoutMs = 10_000,
        }).SetLogHandler((_, log) =>
        {
            if (log.Level <= SyslogLevel.Warning)
                LogKafka(log.Message);
        }).Build();
        consumer.Subscribe([options.AlertsTopic, options.CardsAtRiskTopic]);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string, byte[]>? message;
                try
                {
                    message = consumer.Consume(TimeSpan.FromMilliseconds(200));
                }
                catch (ConsumeException e)
                {
                    LogKafka(e.Error.Reason);
                    continue;
                }
                if (message is null)
                    continue;
                await ApplyWithRetryAsync(message, stoppingToken);
                consumer.StoreOffset(message);
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    private async Task ApplyWithRetryAsync(ConsumeResult<string, byte[]> message, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ApplyAsync(message, stoppingToken);
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException && !stoppingToken.IsCancellationRequested)
            {
                LogDatabase(e.Message, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, attempt))), stoppingToken);
            }
            catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
            {
                // Only the type: a message that is not a valid contract could be quoted in the exception's text. Nothing
                // better will come of reading it again, and stopping here would stop the centre's feed for every alert.
                LogUnreadable(message.Topic, message.Partition.Value, message.Offset.Value, e.GetType().Name);
                return;
            }
        }
    }

    private async Task ApplyAsync(ConsumeResult<string, byte[]> message, CancellationToken cancellationToken)
    {
        if (message.Topic == options.AlertsTopic)
        {
            var alert = JsonSerializer.Deserialize(message.Message.Value, ContractsJsonContext.Default.AtmAlert) ?? throw new JsonException("null alert");
            var change = await store.ApplyAsync(alert, cancellationToken);
            if (change != AlertChange.Unchanged)
                events.Publish(new AlertEvent(change.ToString().ToLowerInvariant(), alert.AlertId));
        }
        else
        {
            var cards = JsonSerializer.Deserialize(message.Message.Value, ContractsJsonContext.Default.CardsAtRisk) ?? throw new JsonException("null list");
            if (await store.ApplyAsync(cards, cancellationToken) > 0)
                events.Publish(new AlertEvent("cards_at_risk", cards.AlertId));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Kafka: {Reason}")]
    private partial void LogKafka(string reason);

    [LoggerMessage(LogLevel.Error, "Unreadable message {Topic}[{Partition}]@{Offset} skipped: {Reason}")]
    private partial void LogUnreadable(string topic, int partition, long offset, string reason);

    [LoggerMessage(LogLevel.Warning, "Database unavailable ({Reason}), attempt {Attempt}; retrying")]
    private partial void LogDatabase(string reason, int attempt);
}

/// <summary>Something happened to an alert: for the dashboard's live updates (server-sent events) and, next, webhooks.</summary>
public sealed record AlertEvent(string Kind, string AlertId);

/// <summary>Fans alert events out to whoever listens (each open dashboard).</summary>
public sealed class AlertEvents
{
    private readonly List<System.Threading.Channels.Channel<AlertEvent>> _listeners = [];
    private readonly Lock _lock = new();

    /// <summary>Sends an event to every listener (dropping it for one too slow to keep up).</summary>
    public void Publish(AlertEvent e)
    {
        lock (_lock)
            foreach (var listener in _listeners)
                listener.Writer.TryWrite(e);
    }

    /// <summary>Listens until the token is cancelled.</summary>
    public async IAsyncEnumerable<AlertEvent> ListenAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<AlertEvent>(new System.Threading.Channels.BoundedChannelOptions(1000)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest,
        });
        lock (_lock)
            _listeners.Add(channel);
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken))
                yield return e;
        }
        finally
        {
            lock (_lock)
                _listeners.Remove(channel);
        }
    }
}
