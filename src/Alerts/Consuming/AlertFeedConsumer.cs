using System.Text.Json;
using Confluent.Kafka;
using SkimGuard.Alerts.Store;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Validation;
using SkimGuard.Kafka;

namespace SkimGuard.Alerts.Consuming;

/// <summary>
/// Reads the detector's alert states and cards at risk into the store, on the shared consume loop. A batch's offsets
/// are stored only after its messages are in the database, and applying a message twice changes nothing, so a restart,
/// a retry after the database failed, or a replay from the start is harmless. A message that is not a valid contract
/// goes to the rejected topic with its reason, and the feed goes on.
/// </summary>
public sealed partial class AlertFeedConsumer(AlertsOptions options, KafkaClients kafka, AlertStore store, AlertEvents events, ILogger<AlertFeedConsumer> logger)
    : KafkaConsumerLoop(kafka)
{
    private static readonly Prometheus.Gauge Lag = Prometheus.Metrics.CreateGauge("skimguard_alerts_consumer_lag",
        "Alert and cards-at-risk messages not yet committed, by topic and partition held here.", "topic", "partition");

    private IProducer<string, byte[]>? _producer;
    private RejectedMessages? _rejected;
    private readonly List<ConsumeResult<string, byte[]>> _applying = [];

    /// <inheritdoc />
    protected override ConsumerConfig ConsumerConfig => Kafka.Settings.Consumer(options.BootstrapServers, options.GroupId, "alerts", config =>
    {
        config.FetchWaitMaxMs = 50;
        config.SessionTimeoutMs = 10_000;
    });

    /// <inheritdoc />
    protected override IReadOnlyList<string> Topics => [options.AlertsTopic, options.CardsAtRiskTopic];

    /// <inheritdoc />
    protected override int BatchSize => 500;

    /// <inheritdoc />
    protected override TimeSpan FirstWait => TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    protected override Prometheus.Gauge LagGauge => Lag;

    /// <inheritdoc />
    protected override Task StartingAsync(CancellationToken stoppingToken)
    {
        _producer = Kafka.Producer(Kafka.Settings.Producer(options.BootstrapServers, "alerts"));
        _rejected = new RejectedMessages(_producer, options.RejectedTopic, 1_000_000);
        return Task.CompletedTask;
    }

    /// <summary>Applies each message in turn; a database failure throws (the loop reads the batch again after a pause).</summary>
    protected override async Task HandleBatchAsync(IConsumer<string, byte[]> consumer, IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken)
    {
        _applying.Clear();
        _applying.AddRange(batch);
        foreach (var message in batch)
        {
            try
            {
                await ApplyAsync(message, stoppingToken);
            }
            catch (Exception e) when (e is not (System.Data.Common.DbException or OperationCanceledException or OutOfMemoryException))
            {
                // Only the type: a message that is not a valid contract could be quoted in the exception's text. Nothing
                // better will come of reading it again, and stopping here would stop the centre's feed for every alert.
                LogUnreadable(message.Topic, message.Partition.Value, message.Offset.Value, e.GetType().Name);
                _rejected!.Reject(message, [new ValidationProblem("message", "object", ProblemCodes.InvalidJson, $"not a valid {(message.Topic == options.AlertsTopic ? "atm-alert" : "cards-at-risk")}.v1 message ({e.GetType().Name})")]);
            }
        }
        await _rejected!.FlushAsync(stoppingToken);
        foreach (var last in batch.GroupBy(m => m.TopicPartition).Select(g => g.MaxBy(m => m.Offset.Value)!))
            consumer.StoreOffset(new TopicPartitionOffset(last.TopicPartition, last.Offset + 1));
        _applying.Clear();
    }

    /// <summary>Back to the first message of the batch that failed, in each partition: what was applied is applied again, to no effect.</summary>
    protected override Task RecoverAsync(IConsumer<string, byte[]> consumer, Exception failure, CancellationToken stoppingToken)
    {
        foreach (var first in _applying.GroupBy(m => m.TopicPartition).Select(g => g.MinBy(m => m.Offset.Value)!))
        {
            try
            {
                consumer.Seek(first.TopicPartitionOffset);
            }
            catch (KafkaException)
            {
                // taken away by a rebalance meanwhile: its new owner reads on from the committed offset
            }
        }
        _applying.Clear();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _producer?.Dispose();
        base.Dispose();
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

    [LoggerMessage(LogLevel.Error, "Unreadable message {Topic}[{Partition}]@{Offset} sent to the rejected topic: {Reason}")]
    private partial void LogUnreadable(string topic, int partition, long offset, string reason);
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
