using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Detector.Kafka;
using SkimGuard.Detector.Observability;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;
using SkimGuard.Kafka;

namespace SkimGuard.Detector.Consuming;

/// <summary>
/// The detector's batches, on the shared consume loop (<see cref="KafkaConsumerLoop"/>): reject the unusable messages,
/// put the rest in event-time order, apply the ready ones through the engine as one store batch, wait for alerts and
/// rejections to be acknowledged and for the store's commit, and only then store the offsets; the loop reads on while
/// the commit is under way. When Kafka or Redis fails, everything held is dropped, the partitions are read again from
/// the last stored offsets, and the engine starts afresh from the store: the same path as a crash, so it is tested as one.
/// </summary>
internal sealed partial class DetectorWorker(
    DetectorOptions options, KafkaClients kafka, WindowStores stores, ModelScoring model, AtmRegistry registry, DetectorMetrics metrics, Readiness readiness,
    TimeProvider clock, ILogger<DetectorWorker> logger) : KafkaConsumerLoop(kafka)
{
    private readonly EventTimeOrder _order = new(TimeSpan.FromMilliseconds(options.ReorderLatenessMs), options.MaxBufferedEvents);
    private readonly MessageDecoder _decoder = new(options.TransactionsTopic, options.MaxMessageBytes);
    private PartitionCoverage? _coverage;
    private IProducer<string, byte[]>? _producer;
    private RejectedMessages? _rejected;
    private KafkaAlertSink? _sink;
    private CompromiseEngine? _engine;
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
    protected override ConsumerConfig ConsumerConfig => Kafka.Settings.Consumer(options.BootstrapServers, options.GroupId, "detector", config =>
    {
        // End-of-partition events tell the event-time order which partitions are caught up.
        config.EnablePartitionEof = true;
        config.SessionTimeoutMs = options.SessionTimeoutMs;
        config.HeartbeatIntervalMs = Math.Max(100, options.SessionTimeoutMs / 5);
        // Batches of thousands: let librdkafka keep a good number of messages fetched ahead.
        config.QueuedMinMessages = Math.Max(10_000, options.BatchSize * 2);
        config.FetchWaitMaxMs = options.FetchWaitMaxMs;
        // The loop reads a message's topic and timestamp, never its headers: not copying them saves two objects a message.
        config.ConsumeResultFields = "topic,timestamp";
    });

    /// <inheritdoc />
    protected override IReadOnlyList<string> Topics => [options.TransactionsTopic, options.FraudReportsTopic];

    /// <inheritdoc />
    protected override int BatchSize => options.BatchSize;

    /// <summary>
    /// While a commit is under way, take only what is already here: its offsets wait for the loop to come back. Nor wait
    /// when events are ready already (more than a batch was released at once).
    /// </summary>
    protected override TimeSpan FirstWait =>
        _committing is { CommittedAt.IsCompleted: false } || _order.HasReady ? TimeSpan.Zero : TimeSpan.FromMilliseconds(100);

    /// <inheritdoc />
    protected override TimeSpan BatchWait => TimeSpan.FromMilliseconds(options.BatchWaitMs);

    /// <inheritdoc />
    protected override TimeSpan MaxRetryDelay => TimeSpan.FromMilliseconds(options.MaxRetryBackoffMs);

    /// <inheritdoc />
    protected override Prometheus.Gauge LagGauge => metrics.ConsumerLag;

    /// <inheritdoc />
    protected override async Task StartingAsync(CancellationToken stoppingToken)
    {
        _coverage = new PartitionCoverage(Topics, LogCoverageUnknown);
        // A rejected message carries at most MaxMessageBytes of the original, plus headers.
        _producer = Kafka.Producer(Kafka.Settings.Producer(options.BootstrapServers, "detector",
            config => config.MessageMaxBytes = Math.Max(1_000_000, options.MaxMessageBytes + 64 * 1024)));
        _rejected = new RejectedMessages(_producer, options.RejectedTopic, options.MaxMessageBytes);
        _sink = new KafkaAlertSink(_producer, options);
        _sink.AlertPublished += alert => metrics.Alerts.WithLabels(alert.Status switch { AlertStatus.Raised => "raised", AlertStatus.Updated => "updated", _ => "withdrawn" }).Inc();
        _sink.CardsAtRiskPublished += _ => metrics.CardsAtRisk.Inc();
        LogStarted(options.TransactionsTopic, options.FraudReportsTopic, options.GroupId, options.Store);
        _engine = await StartEngineAsync(_sink, stoppingToken);
    }

    /// <inheritdoc />
    protected override async Task HandleBatchAsync(IConsumer<string, byte[]> consumer, IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken)
    {
        _coverage!.Refresh(consumer);
        await ApplyAsync(consumer, _coverage.HoldsEveryPartition, batch, stoppingToken);
        readiness.StoreReachable(true);
    }

    /// <summary>
    /// Nothing of the failed batch (nor of the one committing, if its commit failed) counts yet: it is read again from the
    /// stored offsets with an engine built afresh. (Its rejections may have been sent already; they are sent again: at
    /// least once, like everything else.)
    /// </summary>
    protected override async Task RecoverAsync(IConsumer<string, byte[]> consumer, Exception failure, CancellationToken stoppingToken)
    {
        _committing = null;
        _order.Reset();
        foreach (var resume in _order.ResumePoints())
            consumer.Seek(resume);
        _engine = await StartEngineAsync(_sink!, stoppingToken);
    }

    /// <inheritdoc />
    protected override void OnBatchFailed(Exception failure)
    {
        metrics.Failures.Inc();
        readiness.StoreReachable(false, failure.Message);
    }

    /// <summary>The last batch's offsets, if its commit completes: a restart need not read it again.</summary>
    protected override Task StoppingAsync(IConsumer<string, byte[]> consumer)
    {
        FinishCommitting(consumer);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override void OnAssigned(IConsumer<string, byte[]> consumer, IReadOnlyList<TopicPartition> partitions)
    {
        // A card held between batches is its partition owner's; one whose partition left and came back may have been
        // changed by another replica meanwhile. Partitions change seldom; the cards are read again on first touch.
        model.Scoring?.ForgetHeldCards();
        _order.Assign(partitions);
        _coverage?.AssignmentChanged();
        readiness.AssignedPartitions = consumer.Assignment.Count + partitions.Count;
    }

    /// <summary>The batch committing is finished first: its offsets must be stored before the partitions go, else their next owner applies it again.</summary>
    protected override void OnRevoked(IConsumer<string, byte[]> consumer, IReadOnlyList<TopicPartition> partitions)
    {
        FinishCommitting(consumer);
        model.Scoring?.ForgetHeldCards();
        _order.Revoke(partitions);
        _coverage?.AssignmentChanged();
        readiness.AssignedPartitions = Math.Max(0, consumer.Assignment.Count - partitions.Count);
    }

    /// <inheritdoc />
    protected override void OnLost(IConsumer<string, byte[]> consumer, IReadOnlyList<TopicPartition> partitions)
    {
        model.Scoring?.ForgetHeldCards();
        _order.Revoke(partitions);
        _coverage?.AssignmentChanged();
        readiness.AssignedPartitions = 0;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _producer?.Dispose();
        base.Dispose();
    }

    private async Task ApplyAsync(IConsumer<string, byte[]> consumer, bool holdsEveryPartition, IReadOnlyList<ConsumeResult<string, byte[]>> batch,
        CancellationToken stoppingToken)
    {
        var (order, rejected, engine) = (_order, _rejected!, _engine!);
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
            var (e, problems) = _decoder.Decode(message.Topic, message.Message.Value);
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
        await FinishCommittingAsync(consumer);
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
    }

    /// <summary>Waits for the batch committing, if any, then stores its offsets: its input is done with. Throws if its commit failed.</summary>
    private async ValueTask FinishCommittingAsync(IConsumer<string, byte[]> consumer)
    {
        if (_committing is not { } committing)
            return;
        var committedAt = await committing.CommittedAt;
        _committing = null;
        foreach (var offset in _order.Stored(committing.Offsets))
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
    private void FinishCommitting(IConsumer<string, byte[]> consumer)
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
        FinishCommittingAsync(consumer).AsTask().GetAwaiter().GetResult(); // completes at once: the commit is done
    }

    private async Task<DateTime> CommittedAtAsync(Task committed)
    {
        await committed;
        return clock.GetUtcNow().UtcDateTime;
    }

    /// <summary>A new engine over a fresh store handle, taking up the rescan schedule the store keeps; retried until the store answers.</summary>
    private async Task<CompromiseEngine> StartEngineAsync(KafkaAlertSink sink, CancellationToken stoppingToken)
    {
        var retry = RetryBackoff.Forever(MaxRetryDelay, (failure, _, pause) =>
        {
            readiness.StoreReachable(false, failure.Message);
            LogStoreUnavailable(failure.Message, pause.TotalSeconds);
            return ValueTask.CompletedTask;
        });
        return await retry.ExecuteAsync(async token =>
        {
            var engine = new CompromiseEngine(await stores.CreateAsync(), sink, options.Engine, registry, model.Scoring);
            await engine.LoadScheduleAsync(token);
            readiness.StoreReachable(true);
            return engine;
        }, stoppingToken);
    }

    [LoggerMessage(LogLevel.Information, "Detector consuming {Transactions} and {Reports} in group {Group}, window store: {Store}")]
    private partial void LogStarted(string transactions, string reports, string group, string store);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count the topics' partitions ({Reason}); rescans wait for traffic until it can")]
    private partial void LogCoverageUnknown(string reason);

    [LoggerMessage(LogLevel.Warning, "Rejected {Topic}[{Partition}]@{Offset}: {Reason}")]
    private partial void LogRejected(string topic, int partition, long offset, string reason);

    [LoggerMessage(LogLevel.Warning, "Window store unavailable ({Reason}); retrying in {Seconds:F1} s")]
    private partial void LogStoreUnavailable(string reason, double seconds);
}
