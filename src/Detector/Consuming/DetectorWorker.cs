using System.Diagnostics;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Detector.Kafka;
using SkimGuard.Detector.Observability;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Detector.Consuming;

/// <summary>
/// The consume loop: read a batch of messages, reject the unusable ones, put the rest in event-time order, apply the
/// ready ones through the engine as one store batch, wait for alerts and rejections to be acknowledged, and only then
/// store the offsets. When Kafka or Redis fails, everything held is dropped, the partitions are read again from the
/// last stored offsets, and the engine starts afresh from the store: the same path as a crash, so it is tested as one.
/// </summary>
internal sealed partial class DetectorWorker(
    DetectorOptions options, WindowStores stores, ModelScoring model, AtmRegistry registry, DetectorMetrics metrics, Readiness readiness, TimeProvider clock,
    ILogger<DetectorWorker> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Consume() blocks, so the loop has a thread of its own.
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var order = new EventTimeOrder(TimeSpan.FromMilliseconds(options.ReorderLatenessMs), options.MaxBufferedEvents);
        var coverage = new PartitionCoverage([options.TransactionsTopic, options.FraudReportsTopic], LogCoverageUnknown);
        var decoder = new MessageDecoder(options.TransactionsTopic, options.MaxMessageBytes);
        using var producer = new ProducerBuilder<string, byte[]>(KafkaClients.Producer(options))
            .SetLogHandler((_, log) => LogKafka(log.Level, log.Message))
            .Build();
        using var consumer = BuildConsumer(order, coverage);
        var rejected = new RejectedMessages(producer, options.RejectedTopic, options.MaxMessageBytes);
        var sink = new KafkaAlertSink(producer, options);
        sink.AlertPublished += alert => metrics.Alerts.WithLabels(alert.Status == AlertStatus.Raised ? "raised" : "updated").Inc();
        sink.CardsAtRiskPublished += _ => metrics.CardsAtRisk.Inc();
        consumer.Subscribe([options.TransactionsTopic, options.FraudReportsTopic]);
        LogStarted(options.TransactionsTopic, options.FraudReportsTopic, options.GroupId, options.Store);

        try
        {
            await ConsumeAsync(consumer, order, coverage, decoder, rejected, sink, stoppingToken);
        }
        finally
        {
            consumer.Close(); // commits the offsets stored so far and leaves the group at once
        }
    }

    private async Task ConsumeAsync(IConsumer<string, byte[]> consumer, EventTimeOrder order, PartitionCoverage coverage, MessageDecoder decoder,
        RejectedMessages rejected, KafkaAlertSink sink, CancellationToken stoppingToken)
    {
        var engine = await StartEngineAsync(sink, stoppingToken);
        var failures = 0;
        var batch = new List<ConsumeResult<string, byte[]>>(options.BatchSize);
        // While the engine applies one batch on a thread of its own, this one reads and decodes the next: consuming and
        // applying overlap, and a batch's offsets are still stored only after it is applied.
        BatchInFlight? applying = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                batch.Clear();
                await FillAsync(consumer, batch, applying?.Applied, stoppingToken);
                try
                {
                    coverage.Refresh(consumer);
                    Decode(batch, order, decoder, rejected);
                    if (applying is not null)
                    {
                        var done = applying;
                        applying = null;
                        await FinishAsync(consumer, order, rejected, done, stoppingToken);
                        failures = 0;
                    }
                    applying = Apply(engine, order, coverage.HoldsEveryPartition, batch.Count > 0, stoppingToken);
                    if (applying is { Ready.Count: 0 } && batch.Count == 0)
                    {
                        // An idle tick (rescans by the wall clock only): finished now, so that the next read waits for
                        // traffic as usual instead of spinning through empty batches.
                        var tick = applying;
                        applying = null;
                        await FinishAsync(consumer, order, rejected, tick, stoppingToken);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Nothing since the last stored offsets counts: read it again with an engine built afresh, once the
                    // old one has stopped writing. (Rejections may have been sent already; they are sent again: at least
                    // once, like everything else.)
                    if (applying is not null)
                        await ((Task)applying.Applied).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    applying = null;
                    metrics.Failures.Inc();
                    readiness.StoreReachable(false, e.Message);
                    var pause = Backoff(++failures);
                    LogBatchFailed(e, pause.TotalSeconds);
                    await Task.Delay(pause, stoppingToken);
                    order.Reset();
                    foreach (var resume in order.ResumePoints())
                        consumer.Seek(resume);
                    engine = await StartEngineAsync(sink, stoppingToken);
                }
            }
        }
        finally
        {
            // Stopping: store the offsets of a batch the engine has applied, so that a restart does not read it again.
            if (applying is not null)
            {
                await ((Task)applying.Applied).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (applying.Applied.IsCompletedSuccessfully)
                    await FinishAsync(consumer, order, rejected, applying, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Reads up to a batch of messages (and end-of-partition events), waiting at most BatchWaitMs once the first has
    /// come. While a batch is being applied it reads on until that batch is done, then returns at once so the batch's
    /// offsets and latency are recorded without waiting for traffic.
    /// </summary>
    private async Task FillAsync(IConsumer<string, byte[]> consumer, List<ConsumeResult<string, byte[]>> batch, Task? applying, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (batch.Count < options.BatchSize && !stoppingToken.IsCancellationRequested)
        {
            var applyingNow = applying is { IsCompleted: false };
            if (applying is not null && !applyingNow)
                return;
            // While the engine works, never block in Consume: this loop then holds a thread-pool thread that the engine's
            // Redis and Kafka completions need (blocking here cost the Redis detector 500 ms stalls, the thread pool's
            // injection delay).
            var wait = applyingNow ? TimeSpan.Zero
                : batch.Count == 0 ? TimeSpan.FromMilliseconds(100)
                : TimeSpan.FromMilliseconds(Math.Max(0, options.BatchWaitMs - Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            ConsumeResult<string, byte[]>? result;
            try
            {
                result = consumer.Consume(wait);
            }
            catch (ConsumeException e)
            {
                LogConsumeError(e.Error.Reason);
                return;
            }
            if (result is not null)
                // An end-of-partition event stays in the batch, in its place: it says the partition is caught up only
                // after the messages read before it are in the order.
                batch.Add(result);
            else if (applyingNow)
                await Task.WhenAny(applying!, Task.Delay(1, stoppingToken));
            else
                return;
        }
    }

    /// <summary>Rejects the unusable messages of a batch and puts the rest in event-time order.</summary>
    private void Decode(List<ConsumeResult<string, byte[]>> batch, EventTimeOrder order, MessageDecoder decoder, RejectedMessages rejected)
    {
        foreach (var message in batch)
        {
            if (message.IsPartitionEOF)
            {
                order.CaughtUp(message.TopicPartition);
                continue;
            }
            metrics.Consumed.WithLabels(message.Topic).Inc();
            var (e, problems) = decoder.Decode(message.Topic, message.Message.Value);
            if (e is null)
            {
                rejected.Reject(message, problems);
                metrics.Rejected.WithLabels(message.Topic, problems[0].Code).Inc();
                LogRejected(message.Topic, message.Partition.Value, message.Offset.Value, string.Join("; ", problems));
            }
            order.Add(message.TopicPartitionOffset, e, message.Message.Timestamp.UtcDateTime);
        }
    }

    /// <summary>Hands the events the watermark has passed to the engine, on a thread of its own; null when there is nothing to do.</summary>
    private BatchInFlight? Apply(CompromiseEngine engine, EventTimeOrder order, bool holdsEveryPartition, bool readSomething, CancellationToken stoppingToken)
    {
        var ready = order.TakeReady();
        var idle = order.Idle;
        if (ready.Count == 0 && !readSomething && !idle)
            return null;
        var offsets = order.Committable();
        var events = ready.ConvertAll(r => r.Event);
        // Idle, holding every partition: every event before now is applied, so rescans due by now (wall clock) need not
        // wait for more traffic. A replica holding only some partitions waits for events to move its event time.
        DateTimeOffset? rescanUntil = idle && holdsEveryPartition ? clock.GetUtcNow() : null;
        var started = Stopwatch.GetTimestamp();
        var applied = Task.Run(async () => await engine.ProcessBatchAsync(events, rescanUntil, stoppingToken), stoppingToken);
        return new BatchInFlight(applied, ready, offsets, idle, started);
    }

    /// <summary>Once a batch is applied: its rejections delivered, its offsets stored, its figures recorded.</summary>
    private async Task FinishAsync(IConsumer<string, byte[]> consumer, EventTimeOrder order, RejectedMessages rejected, BatchInFlight batch, CancellationToken stoppingToken)
    {
        var outcome = await batch.Applied;
        await rejected.FlushAsync(stoppingToken);
        foreach (var offset in order.Stored(batch.Offsets))
            consumer.StoreOffset(offset);
        readiness.StoreReachable(true);

        var committedAt = clock.GetUtcNow().UtcDateTime;
        metrics.BatchSeconds.Observe(Stopwatch.GetElapsedTime(batch.Started).TotalSeconds);
        foreach (var (_, producedAt) in batch.Ready)
            metrics.EventLatencySeconds.Observe(Math.Max(0, (committedAt - producedAt).TotalSeconds));
        metrics.Processed.WithLabels(options.TransactionsTopic).Inc(outcome.Transactions);
        metrics.Processed.WithLabels(options.FraudReportsTopic).Inc(outcome.Reports);
        metrics.Duplicates.WithLabels(options.TransactionsTopic).Inc(outcome.DuplicateTransactions);
        metrics.Duplicates.WithLabels(options.FraudReportsTopic).Inc(outcome.DuplicateReports);
        metrics.Held.Set(order.Count);
        metrics.CaughtUp.Set(batch.Idle && order.Idle ? 1 : 0);
        metrics.AssignedPartitions.Set(consumer.Assignment.Count);
        UpdateLag(consumer);
    }

    /// <summary>A batch handed to the engine: what it releases, and the offsets to store once it is applied.</summary>
    private sealed record BatchInFlight(Task<BatchOutcome> Applied, List<(ReplayEvent Event, DateTime ProducedAt)> Ready,
        List<TopicPartitionOffset> Offsets, bool Idle, long Started);

    private void UpdateLag(IConsumer<string, byte[]> consumer)
    {
        foreach (var partition in consumer.Assignment)
        {
            var ends = consumer.GetWatermarkOffsets(partition);
            var position = consumer.Position(partition);
            if (ends.High.Value >= 0 && position.Value >= 0)
                metrics.ConsumerLag.WithLabels(partition.Topic, partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Set(Math.Max(0, ends.High.Value - position.Value));
        }
    }

    /// <summary>A new engine over a fresh store handle, taking up the rescan schedule the store keeps; retried until the store answers.</summary>
    private async Task<CompromiseEngine> StartEngineAsync(KafkaAlertSink sink, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var engine = new CompromiseEngine(await stores.CreateAsync(), sink, options.Engine, registry, model.Scoring);
                await engine.LoadScheduleAsync(stoppingToken);
                readiness.StoreReachable(true);
                return engine;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                readiness.StoreReachable(false, e.Message);
                var pause = Backoff(attempt);
                LogStoreUnavailable(e.Message, pause.TotalSeconds);
                await Task.Delay(pause, stoppingToken);
            }
        }
    }

    private IConsumer<string, byte[]> BuildConsumer(EventTimeOrder order, PartitionCoverage coverage) =>
        new ConsumerBuilder<string, byte[]>(KafkaClients.Consumer(options))
            .SetLogHandler((_, log) => LogKafka(log.Level, log.Message))
            .SetErrorHandler((_, error) => LogKafkaError(error.Reason))
            .SetPartitionsAssignedHandler((c, added) =>
            {
                order.Assign(added);
                coverage.AssignmentChanged();
                readiness.AssignedPartitions = c.Assignment.Count + added.Count;
                LogAssigned(string.Join(", ", added.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
            })
            .SetPartitionsRevokedHandler((c, revoked) =>
            {
                order.Revoke(revoked.Select(p => p.TopicPartition));
                coverage.AssignmentChanged();
                readiness.AssignedPartitions = Math.Max(0, c.Assignment.Count - revoked.Count);
            })
            .SetPartitionsLostHandler((_, lost) =>
            {
                order.Revoke(lost.Select(p => p.TopicPartition));
                coverage.AssignmentChanged();
                readiness.AssignedPartitions = 0;
            })
            .Build();

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(options.MaxRetryBackoffMs, 100 * Math.Pow(2, Math.Min(attempt, 20))));

    private void LogKafka(SyslogLevel level, string message)
    {
        if (level <= SyslogLevel.Warning)
            LogKafkaWarning(message);
    }

    [LoggerMessage(LogLevel.Information, "Detector consuming {Transactions} and {Reports} in group {Group}, window store: {Store}")]
    private partial void LogStarted(string transactions, string reports, string group, string store);

    [LoggerMessage(LogLevel.Information, "Partitions assigned: {Partitions}")]
    private partial void LogAssigned(string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count the topics' partitions ({Reason}); rescans wait for traffic until it can")]
    private partial void LogCoverageUnknown(string reason);

    [LoggerMessage(LogLevel.Warning, "Rejected {Topic}[{Partition}]@{Offset}: {Reason}")]
    private partial void LogRejected(string topic, int partition, long offset, string reason);

    [LoggerMessage(LogLevel.Error, "Batch failed; reading it again from the stored offsets in {Seconds:F1} s")]
    private partial void LogBatchFailed(Exception exception, double seconds);

    [LoggerMessage(LogLevel.Warning, "Window store unavailable ({Reason}); retrying in {Seconds:F1} s")]
    private partial void LogStoreUnavailable(string reason, double seconds);

    [LoggerMessage(LogLevel.Warning, "Kafka consume error: {Reason}")]
    private partial void LogConsumeError(string reason);

    [LoggerMessage(LogLevel.Warning, "Kafka: {Reason}")]
    private partial void LogKafkaError(string reason);

    [LoggerMessage(LogLevel.Warning, "librdkafka: {Message}")]
    private partial void LogKafkaWarning(string message);
}
