using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;

namespace SkimGuard.Kafka;

/// <summary>
/// The consume loop of every service, on a thread of its own (Consume blocks): subscribe, read a batch, hand it to the
/// service, and again. What is the service's own is in the overrides: what a batch does, and how to put things back
/// after a batch failed. Around that, the same for every service:
/// <list type="bullet">
/// <item>a batch that throws is retried with <see cref="RetryBackoff"/> (jittered, growing to a cap) after
/// <see cref="RecoverAsync"/> has put the service back to its last stored offsets; records are never skipped for it;</item>
/// <item>a fatal client error stops the service with exit code <see cref="KafkaClients.FatalExitCode"/>;</item>
/// <item>consumer lag comes from librdkafka's statistics, with the series of a partition that goes removed.</item>
/// </list>
/// One message that cannot be used is the service's to reject (to the rejected topic, with a code and reason) in
/// <see cref="HandleBatchAsync"/>: it must never make the batch throw, or the loop would retry it for ever.
/// </summary>
public abstract partial class KafkaConsumerLoop : BackgroundService
{
    private readonly KafkaClients _kafka;
    private readonly ILogger _logger;
    private ConsumerLag? _lag;
    private KafkaFatalException? _fatal;

    /// <summary>A loop whose lines are logged under the service's class name, as its own lines are.</summary>
    protected KafkaConsumerLoop(KafkaClients kafka)
    {
        _kafka = kafka;
        _logger = kafka.LoggerFor(GetType());
    }

    /// <summary>The service's Kafka clients: its settings, producers and admin clients come from here.</summary>
    protected KafkaClients Kafka => _kafka;

    /// <summary>The consumer's settings (<see cref="KafkaClientSettings.Consumer"/>).</summary>
    protected abstract ConsumerConfig ConsumerConfig { get; }

    /// <summary>The topics subscribed.</summary>
    protected abstract IReadOnlyList<string> Topics { get; }

    /// <summary>Most messages in one batch.</summary>
    protected abstract int BatchSize { get; }

    /// <summary>How long to wait for the first message of a batch (read again before every batch).</summary>
    protected virtual TimeSpan FirstWait => TimeSpan.FromMilliseconds(100);

    /// <summary>How long, from the first message, to wait for the batch to fill; zero takes only what has arrived.</summary>
    protected virtual TimeSpan BatchWait => TimeSpan.Zero;

    /// <summary>The longest wait between retries of a failed batch.</summary>
    protected virtual TimeSpan MaxRetryDelay => TimeSpan.FromSeconds(30);

    /// <summary>Where the lag by topic and partition goes (labels topic, partition); null for none.</summary>
    protected virtual Prometheus.Gauge? LagGauge => null;

    /// <summary>Runs once before the first batch (the detector starts its engine here).</summary>
    protected virtual Task StartingAsync(CancellationToken stoppingToken) => Task.CompletedTask;

    /// <summary>Does the service's work on one batch (end-of-partition events included when the config asks for them).</summary>
    protected abstract Task HandleBatchAsync(IConsumer<string, byte[]> consumer, IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken);

    /// <summary>
    /// After a batch threw: drop what is held and seek back to the stored offsets, so that the retry reads it again.
    /// Runs before the pause; may throw, which counts as another failure.
    /// </summary>
    protected abstract Task RecoverAsync(IConsumer<string, byte[]> consumer, Exception failure, CancellationToken stoppingToken);

    /// <summary>Runs before the consumer closes (finish what is in flight, so its offsets are committed by the close).</summary>
    protected virtual Task StoppingAsync(IConsumer<string, byte[]> consumer) => Task.CompletedTask;

    /// <summary>Partitions given to this member (on the loop's thread, inside Consume).</summary>
    protected virtual void OnAssigned(IConsumer<string, byte[]> consumer, IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>Partitions taken away in an orderly rebalance: offsets stored here are still committed.</summary>
    protected virtual void OnRevoked(IConsumer<string, byte[]> consumer, IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>Partitions lost (the session expired): their offsets can no longer be committed by this member.</summary>
    protected virtual void OnLost(IConsumer<string, byte[]> consumer, IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>Called when a batch failed, before the pause: for the service's failure counters and readiness.</summary>
    protected virtual void OnBatchFailed(Exception failure)
    {
    }

    /// <inheritdoc />
    protected sealed override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ConsumeAsync(stoppingToken);
        }
        catch (Exception) when (!stoppingToken.IsCancellationRequested)
        {
            // A fault of the service's own code: the host logs it and stops; the exit code tells the orchestrator to restart.
            Environment.ExitCode = 1;
            throw;
        }
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        IConsumer<string, byte[]> consumer;
        try
        {
            consumer = Build();
        }
        catch (ArgumentException e)
        {
            // librdkafka refused a property (a Kafka:Client override with a typo): say which, and stop as for a fatal error.
            _kafka.StopOnFatal(ConsumerConfig.ClientId ?? "consumer", new Error(ErrorCode.Local_InvalidArg, e.Message));
            return;
        }
        using (consumer)
        {
            var retry = RetryBackoff.Forever(MaxRetryDelay, async (failure, attempt, delay) =>
            {
                LogBatchFailed(failure, attempt, delay.TotalSeconds);
                OnBatchFailed(failure);
                await RecoverAsync(consumer, failure, stoppingToken);
            });
            var batch = new List<ConsumeResult<string, byte[]>>(BatchSize);
            try
            {
                if (_kafka.Settings.OverriddenProperties.Count > 0)
                    LogOverrides(string.Join(", ", _kafka.Settings.OverriddenProperties.Order(StringComparer.Ordinal)));
                consumer.Subscribe(Topics);
                await StartingAsync(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                    await retry.ExecuteAsync(async token =>
                    {
                        Fill(consumer, batch, token);
                        await HandleBatchAsync(consumer, batch, token);
                    }, stoppingToken);
            }
            catch (KafkaFatalException e)
            {
                _kafka.StopOnFatal(e.Client, e.Error);
                return; // a fatal client is not closed: it cannot leave its group cleanly, and the broker times it out
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            await StoppingAsync(consumer);
            consumer.Close(); // commits the offsets stored so far and leaves the group at once
        }
    }

    /// <summary>Reads up to a batch of messages (and end-of-partition events). Throws only for a fatal error.</summary>
    private void Fill(IConsumer<string, byte[]> consumer, List<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken)
    {
        batch.Clear();
        var started = Stopwatch.GetTimestamp();
        while (batch.Count < BatchSize && !stoppingToken.IsCancellationRequested)
        {
            var wait = batch.Count == 0 ? FirstWait : BatchWait - Stopwatch.GetElapsedTime(started);
            ConsumeResult<string, byte[]>? result;
            try
            {
                result = consumer.Consume(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            }
            catch (ConsumeException e)
            {
                if (e.Error.IsFatal)
                    throw new KafkaFatalException(consumer.Name, e.Error);
                // A topic not there yet, a broker away: librdkafka carries on by itself. A topic missing is expected on a
                // new cluster, where topics are created by their first message (the demo, a first deployment): it is
                // said plainly, not as a warning that makes a first run look broken.
                if (e.Error.Code == ErrorCode.UnknownTopicOrPart)
                    LogTopicNotYet(e.Error.Reason);
                else
                    LogConsumeError(e.Error.Reason);
                return;
            }
            if (_fatal is { } fatal)
                throw fatal;
            if (result is null)
                return;
            batch.Add(result);
        }
    }

    private IConsumer<string, byte[]> Build()
    {
        _lag = LagGauge is { } gauge ? new ConsumerLag(gauge) : null;
        return _kafka.ConsumerBuilder(ConsumerConfig)
            .SetErrorHandler((client, error) =>
            {
                // Fatal errors reach the loop through here or through Consume; either way the loop stops at its next read.
                if (error.IsFatal)
                    _fatal ??= new KafkaFatalException(client.Name, error);
                else
                    LogKafkaError(client.Name, error.Reason);
            })
            .SetStatisticsHandler((_, json) => _lag?.Update(json))
            .SetPartitionsAssignedHandler((c, added) =>
            {
                _lag?.Assigned(added);
                OnAssigned(c, added);
                LogAssigned(string.Join(", ", added.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
            })
            .SetPartitionsRevokedHandler((c, revoked) =>
            {
                var partitions = revoked.Select(p => p.TopicPartition).ToList();
                OnRevoked(c, partitions);
                _lag?.Gone(partitions);
            })
            .SetPartitionsLostHandler((c, lost) =>
            {
                var partitions = lost.Select(p => p.TopicPartition).ToList();
                OnLost(c, partitions);
                _lag?.Gone(partitions);
            })
            .Build();
    }

    [LoggerMessage(LogLevel.Error, "Batch failed (attempt {Attempt}); reading it again from the stored offsets in {Seconds:F1} s")]
    private partial void LogBatchFailed(Exception exception, int attempt, double seconds);

    [LoggerMessage(LogLevel.Warning, "Kafka consume error: {Reason}")]
    private partial void LogConsumeError(string reason);

    [LoggerMessage(LogLevel.Information, "Waiting for a topic that does not exist yet (created by its first message, or by the deployment's topic setup): {Reason}")]
    private partial void LogTopicNotYet(string reason);

    [LoggerMessage(LogLevel.Warning, "Kafka client {Client}: {Reason}")]
    private partial void LogKafkaError(string client, string reason);

    [LoggerMessage(LogLevel.Information, "Kafka client properties from Kafka:Client: {Properties}")]
    private partial void LogOverrides(string properties);

    [LoggerMessage(LogLevel.Information, "Partitions assigned: {Partitions}")]
    private partial void LogAssigned(string partitions);
}
