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
/// ready ones through the engine as one store batch, wait for alerts and rejections to be acknowledged and for the
/// store's commit, and only then store the offsets; the loop reads on while the commit is under way. When Kafka or
/// Redis fails, everything held is dropped, the partitions are read again from the last stored offsets, and the engine
/// starts afresh from the store: the same path as a crash, so it is tested as one.
/// </summary>
internal sealed partial class DetectorWorker(
    DetectorOptions options, WindowStores stores, ModelScoring model, AtmRegistry registry, DetectorMetrics metrics, Readiness readiness, TimeProvider clock,
    ILogger<DetectorWorker> logger) : BackgroundService
{
    // The last batch applied, while its store commit is under way (null once its offsets are stored).
    private CommittingBatch? _committing;
    // The events of the batch being applied, reused: at thousands of events a new array each batch is a large object,
    // and those set off full collections (Redis/PendingBatch.cs says more).
    private readonly List<ReplayEvent> _events = [];

    /// <summary>
    /// A batch applied whose store commit is under way. The loop reads and validates the next messages meanwhile (the
    /// Redis detector spends a third of its time waiting for its MULTI/EXEC) and stores these offsets once it is done.
    /// </summary>
    private sealed record CommittingBatch(Task<DateTime> CommittedAt, List<TopicPartitionOffset> Offsets, DateTime StartedAt, DateTime[] ProducedAt);

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
        sink.AlertPublished += alert => metrics.Alerts.WithLabels(alert.Status switch { AlertStatus.Raised => "raised", AlertStatus.Updated => "updated", _ => "withdrawn" }).Inc();
        sink.CardsAtRiskPublished += _ => metrics.CardsAtRisk.Inc();
        consumer.Subscribe([options.TransactionsTopic, options.FraudReportsTopic]);
        LogStarted(options.TransactionsTopic, options.FraudReportsTopic, options.GroupId, options.Store);

        try
        {
            await ConsumeAsync(consumer, order, coverage, decoder, rejected, sink, stoppingToken);
        }
        finally
        {
            FinishCommitting(consumer, order); // the last batch's offsets, if its commit completes: a restart need not read it again
            consumer.Close(); // commits the offsets stored so far and leaves the group at once
        }
    }

    private async Task ConsumeAsync(IConsumer<string, byte[]> consumer, EventTimeOrder order, PartitionCoverage coverage, MessageDecoder decoder,
        RejectedMessages rejected, KafkaAlertSink sink, CancellationToken stoppingToken)
    {
        var engine = await StartEngineAsync(sink, stoppingToken);
        var failures = 0;
        var batch = new List<ConsumeResult<string, byte[]>>(options.BatchSize);
        while (!stoppingToken.IsCancellationRequested)
        {
            batch.Clear();
            // While a commit is under way, take only what is already here: its offsets wait for the loop to come back.
            // Nor wait when events are ready already (more than a batch was released at once).
            var committing = _committing is { CommittedAt.IsCompleted: false };
            Fill(consumer, batch, firstWait: committing || order.HasReady ? TimeSpan.Zero : TimeSpan.FromMilliseconds(100), stoppingToken);
            try
            {
                coverage.Refresh(consumer);
                await ApplyAsync(consumer, order, coverage.HoldsEveryPartition, decoder, rejected, engine, batch, stoppingToken);
                readiness.StoreReachable(true);
                failures = 0;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Nothing of this batch (nor of the one committing, if its commit failed) counts yet: read it again
                // from the stored offsets with an engine built afresh. (Its rejections may have been sent already;
                // they are sent again: at least once, like everything else.)
                _committing = null;
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

    /// <summary>Reads up to a batch of messages (and end-of-partition events), waiting at most BatchWaitMs once the first has come.</summary>
    private void Fill(IConsumer<string, byte[]> consumer, List<ConsumeResult<string, byte[]>> batch, TimeSpan firstWait, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (batch.Count < options.BatchSize && !stoppingToken.IsCancellationRequested)
        {
            var wait = batch.Count == 0
                ? firstWait
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
            if (result is null)
                return;
            // An end-of-partition event stays in the batch, in its place: it says the partition is caught up only after
            // the messages read before it are in the order.
            batch.Add(result);
        }
    }

    private async Task ApplyAsync(IConsumer<string, byte[]> consumer, EventTimeOrder order, bool holdsEveryPartition, MessageDecoder decoder,
        RejectedMessages rejected, CompromiseEngine engine, List<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken)
    {
        int consumedTransactions = 0, consumedReports = 0;
        foreach (var message in batch)
        {
            if (message.IsPartitionEOF)
            {
                order.CaughtUp(message.TopicPartition);
                continue;
            }
            if (message.Topic == options.TransactionsTopic)
                consumedTransactions++;
            else
                consumedReports++;
            var (e, problems) = decoder.Decode(message.Topic, message.Message.Value);
            if (e is null)
            {
                rejected.Reject(message, problems);
                metrics.Rejected.WithLabels(message.Topic, problems[0].Code).Inc();
                LogRejected(message.Topic, message.Partition.Value, message.Offset.Value, string.Join("; ", problems));
            }
            order.Add(message.Topic, message.Partition.Value, message.Offset.Value, e, message.Message.Timestamp.UtcDateTime);
        }
        // Counted once a batch, not once a message: a labelled metric's look-up costs more than the count.
        metrics.Consumed.WithLabels(options.TransactionsTopic).Inc(consumedTransactions);
        metrics.Consumed.WithLabels(options.FraudReportsTopic).Inc(consumedReports);
        // At most a batch: the watermark can release tens of thousands at once (when the slowest partition's fetch comes
        // in), and one MULTI/EXEC of that many blocks Redis for every other client for tens of milliseconds.
        var ready = order.TakeReady(options.BatchSize);
        var idle = order.Idle;
        // Nothing to apply yet while the last batch is still committing: go on reading, and store its offsets later.
        if (ready.Count == 0 && !idle && batch.Count > 0 && _committing is { CommittedAt.IsCompleted: false })
            return;
        await FinishCommittingAsync(consumer, order);
        if (ready.Count == 0 && batch.Count == 0 && !idle)
            return;

        var startedAt = clock.GetUtcNow().UtcDateTime;
        _events.Clear();
        var producedAt = new DateTime[ready.Count];
        for (var i = 0; i < ready.Count; i++)
        {
            _events.Add(ready[i].Event);
            producedAt[i] = ready[i].ProducedAt;
        }
        // Idle, holding every partition: every event before now is applied, so rescans due by now (wall clock) need not
        // wait for more traffic. A replica holding only some partitions waits for events to move its event time.
        var (outcome, committed) = await engine.ApplyBatchAsync(_events, idle && holdsEveryPartition ? clock.GetUtcNow() : null, stoppingToken);
        await rejected.FlushAsync(stoppingToken);
        // The offsets are stored once the commit is done, which the loop learns after reading its next messages.
        _committing = new CommittingBatch(CommittedAtAsync(committed), order.Committable(), startedAt, producedAt);
        metrics.BatchEvents.Observe(ready.Count);
        metrics.Processed.WithLabels(options.TransactionsTopic).Inc(outcome.Transactions);
        metrics.Processed.WithLabels(options.FraudReportsTopic).Inc(outcome.Reports);
        metrics.Duplicates.WithLabels(options.TransactionsTopic).Inc(outcome.DuplicateTransactions);
        metrics.Duplicates.WithLabels(options.FraudReportsTopic).Inc(outcome.DuplicateReports);
        metrics.Held.Set(order.Count);
        metrics.CaughtUp.Set(idle ? 1 : 0);
        metrics.AssignedPartitions.Set(consumer.Assignment.Count);
        UpdateLag(consumer);
    }

    /// <summary>Waits for the batch committing, if any, then stores its offsets: its input is done with. Throws if its commit failed.</summary>
    private async ValueTask FinishCommittingAsync(IConsumer<string, byte[]> consumer, EventTimeOrder order)
    {
        if (_committing is not { } committing)
            return;
        var committedAt = await committing.CommittedAt;
        _committing = null;
        foreach (var offset in order.Stored(committing.Offsets))
            consumer.StoreOffset(offset);
        metrics.BatchSeconds.Observe((committedAt - committing.StartedAt).TotalSeconds);
        foreach (var producedAt in committing.ProducedAt)
            metrics.EventLatencySeconds.Observe(Math.Max(0, (committedAt - producedAt).TotalSeconds));
    }

    /// <summary>
    /// <see cref="FinishCommittingAsync"/> where the loop cannot await: stopping, or partitions being revoked, whose offsets
    /// must be stored before they go (else their next owner applies the batch again while it commits). A failed commit
    /// is left for the loop to find; its offsets are not stored.
    /// </summary>
    private void FinishCommitting(IConsumer<string, byte[]> consumer, EventTimeOrder order)
    {
        if (_committing is not { } committing)
            return;
        try
        {
            // StackExchange.Redis fails a command unanswered for 5 s (its asyncTimeout); this only bounds the wait beyond that.
            if (!committing.CommittedAt.Wait(TimeSpan.FromSeconds(10)))
                return;
        }
        catch (AggregateException)
        {
            return;
        }
        FinishCommittingAsync(consumer, order).AsTask().GetAwaiter().GetResult(); // completes at once: the commit is done
    }

    private async Task<DateTime> CommittedAtAsync(Task committed)
    {
        await committed;
        return clock.GetUtcNow().UtcDateTime;
    }

    /// <summary>
    /// Drops the lag series of partitions this replica no longer holds: their new owner reports them, and a series left
    /// behind at its last value would be counted twice by a dashboard summing the group's lag.
    /// </summary>
    private void ForgetLag(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
            metrics.ConsumerLag.RemoveLabelled(partition.Topic, partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

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
                FinishCommitting(c, order);
                order.Revoke(revoked.Select(p => p.TopicPartition));
                coverage.AssignmentChanged();
                readiness.AssignedPartitions = Math.Max(0, c.Assignment.Count - revoked.Count);
                ForgetLag(revoked.Select(p => p.TopicPartition));
            })
            .SetPartitionsLostHandler((_, lost) =>
            {
                order.Revoke(lost.Select(p => p.TopicPartition));
                coverage.AssignmentChanged();
                readiness.AssignedPartitions = 0;
                ForgetLag(lost.Select(p => p.TopicPartition));
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
