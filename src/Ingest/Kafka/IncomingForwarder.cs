using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Validation;
using SkimGuard.Ingest.Observability;
using SkimGuard.Ingest.Records;

namespace SkimGuard.Ingest.Kafka;

/// <summary>
/// The Kafka path for banks that produce directly: each message on the incoming topic, from the bank its header names
/// (bound to the producer's credentials by the deployment), is validated by the same code as the HTTP path and forwarded,
/// or sent to the rejected topic with the reason and its original bytes (card numbers masked). Offsets are stored only
/// once a batch's forwards and rejections are acknowledged.
/// </summary>
public sealed partial class IncomingForwarder(IngestOptions options, FeedIntake intake, RecordProducer producer, Deduplicator duplicates,
    FeedStatus status, IngestMetrics metrics, ILogger<IncomingForwarder> logger) : BackgroundService
{
    private const int BatchSize = 5000;

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.IncomingGroupId,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            AllowAutoCreateTopics = true,
            FetchWaitMaxMs = 5,
            TopicMetadataRefreshIntervalMs = 10_000,
            QueuedMinMessages = BatchSize * 2,
            // Not librdkafka's 1 s pause in fetching after the queue above fills (docs/benchmarks/ingest.md).
            FetchQueueBackoffMs = 10,
        }).SetLogHandler((_, log) =>
        {
            if (log.Level <= SyslogLevel.Warning)
                LogKafka(log.Message);
        }).Build();
        consumer.Subscribe(options.IncomingTopic);
        // One batch's deliveries overlap the reading and validating of the next: Kafka's acknowledgements are awaited
        // a batch late, not before every read (docs/benchmarks/ingest.md).
        ForwardedBatch? inFlight = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var read = ReadBatch(consumer);
                var forwarding = read.Count == 0 ? null : Forward(read);
                if (inFlight is not null && !await CompleteAsync(consumer, inFlight, forwarding, stoppingToken))
                    forwarding = null; // both given back and to be read again
                inFlight = forwarding;
            }
        }
        finally
        {
            if (inFlight is not null)
                await CompleteAsync(consumer, inFlight, null, CancellationToken.None);
            consumer.Close();
        }
    }

    private List<ConsumeResult<string, byte[]>> ReadBatch(IConsumer<string, byte[]> consumer)
    {
        var batch = new List<ConsumeResult<string, byte[]>>(BatchSize);
        try
        {
            for (var wait = TimeSpan.FromMilliseconds(100); batch.Count < BatchSize && consumer.Consume(wait) is { } message; wait = TimeSpan.Zero)
                batch.Add(message);
        }
        catch (ConsumeException e)
        {
            LogKafka(e.Error.Reason);
        }
        return batch;
    }

    /// <summary>
    /// Waits for a batch's deliveries, then counts it and stores its offsets. If any failed, nothing of it is counted, its
    /// duplicate claims and those of the batch read after it are given back, and both are read again after a pause:
    /// forwards that did reach Kafka are sent again, and the detector applies each record once. False when it failed.
    /// </summary>
    private async Task<bool> CompleteAsync(IConsumer<string, byte[]> consumer, ForwardedBatch batch, ForwardedBatch? next, CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(batch.Deliveries);
        }
        catch (KafkaException e)
        {
            LogForwardFailed(e.Message);
            if (next is not null)
                await Task.WhenAll(next.Deliveries).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // it is read again whatever its outcome
            batch.GiveBackClaims(duplicates);
            next?.GiveBackClaims(duplicates);
            List<ConsumeResult<string, byte[]>> again = next is null ? batch.Messages : [.. batch.Messages, .. next.Messages];
            foreach (var first in again.GroupBy(m => m.TopicPartition).Select(g => g.MinBy(m => m.Offset.Value)!))
                ForOwnedPartition(() => consumer.Seek(first.TopicPartitionOffset));
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return false;
        }
        batch.Count(metrics, status);
        foreach (var last in batch.Messages.GroupBy(m => m.TopicPartition).Select(g => g.MaxBy(m => m.Offset.Value)!))
            ForOwnedPartition(() => consumer.StoreOffset(new TopicPartitionOffset(last.TopicPartition, last.Offset + 1)));
        return true;
    }

    /// <summary>
    /// Stores or seeks on a partition that a rebalance may have taken away meanwhile; then librdkafka refuses, and that
    /// is right: the partition's new owner reads on from its committed offset.
    /// </summary>
    private static void ForOwnedPartition(Action action)
    {
        try
        {
            action();
        }
        catch (KafkaException)
        {
        }
    }

    /// <summary>Validates a batch and starts its sends; what it claimed and what it will count wait in the result.</summary>
    private ForwardedBatch Forward(List<ConsumeResult<string, byte[]>> messages)
    {
        var batch = new ForwardedBatch(messages);
        foreach (var message in messages)
        {
            var bank = Header(message, IncomingHeaders.Bank);
            var kind = Header(message, IncomingHeaders.Record) switch
            {
                "transaction" => RecordKind.Transaction,
                "fraud_report" => RecordKind.FraudReport,
                _ => (RecordKind?)null,
            };
            var kindLabel = kind == RecordKind.FraudReport ? "fraud_report" : "transaction";
            IReadOnlyList<ValidationProblem> problems;
            if (string.IsNullOrEmpty(bank) || !options.Banks.ContainsKey(bank))
                problems = [new ValidationProblem($"header {IncomingHeaders.Bank}", "string", ProblemCodes.NotAllowed, "missing or not a partner bank")];
            else if (kind is null)
                problems = [new ValidationProblem($"header {IncomingHeaders.Record}", "string", ProblemCodes.UnknownValue, "must be transaction or fraud_report")];
            else
            {
                var record = intake.Validate(kind.Value, message.Message.Value ?? [], intake.ContextFor(bank));
                if (record.Message is not null)
                {
                    var tag = kind == RecordKind.Transaction ? 't' : 'r';
                    if (duplicates.Claim(tag, bank, [record.Id!])[0])
                    {
                        batch.Deliveries.Add(producer.SendAsync(intake.TopicOf(kind.Value), record.Key!, record.Message));
                        batch.Claims.Add((tag, bank, record.Id!));
                        batch.Outcomes.Add(new Outcome(bank, kindLabel, Outcome.Accepted, record.EventTime));
                    }
                    else
                        batch.Outcomes.Add(new Outcome(bank, kindLabel, Outcome.Duplicate, null));
                    continue;
                }
                problems = record.Problems;
            }
            // A header naming no partner is counted under "unknown": the metric's labels stay the partners' names.
            batch.Outcomes.Add(new Outcome(bank is not null && options.Banks.ContainsKey(bank) ? bank : null, kindLabel, problems[0].Code, null));
            var key = Encoding.UTF8.GetString(PanScanner.MaskPans(Encoding.UTF8.GetBytes(message.Message.Key ?? "")));
            batch.Deliveries.Add(producer.SendAsync(options.RejectedTopic, key, PanScanner.MaskPans(message.Message.Value ?? []), new Headers
            {
                { RejectedHeaders.Reason, Encoding.UTF8.GetBytes(string.Join("; ", problems)) },
                { RejectedHeaders.Codes, Encoding.UTF8.GetBytes(string.Join(',', problems.Select(p => p.Code).Distinct())) },
                { RejectedHeaders.Source, Encoding.UTF8.GetBytes($"{message.Topic}/{message.Partition.Value}/{message.Offset.Value}") },
            }));
        }
        return batch;
    }

    /// <summary>A batch whose sends are under way: counted only once Kafka has every one.</summary>
    private sealed class ForwardedBatch(List<ConsumeResult<string, byte[]>> messages)
    {
        public List<ConsumeResult<string, byte[]>> Messages { get; } = messages;
        public List<Task> Deliveries { get; } = new(messages.Count);
        public List<(char Kind, string Bank, string Id)> Claims { get; } = [];
        public List<Outcome> Outcomes { get; } = new(messages.Count);

        public void Count(IngestMetrics metrics, FeedStatus status)
        {
            foreach (var (bank, kind, result, eventTime) in Outcomes)
            {
                switch (result)
                {
                    case Outcome.Accepted:
                        metrics.Accepted.WithLabels(bank!, kind, "kafka").Inc();
                        status.Of(bank!).Add(1, 0, [], eventTime);
                        break;
                    case Outcome.Duplicate:
                        metrics.Duplicates.WithLabels(bank!, kind).Inc();
                        status.Of(bank!).Add(0, 1, [], null);
                        break;
                    default:
                        metrics.Rejected.WithLabels(bank ?? "unknown", kind, "kafka", result).Inc();
                        if (bank is not null)
                            status.Of(bank).Add(0, 0, [result], null);
                        break;
                }
            }
        }

        public void GiveBackClaims(Deduplicator duplicates)
        {
            foreach (var (kind, bank, id) in Claims)
                duplicates.Release(kind, bank, [id]);
        }
    }

    /// <summary>What became of one message: accepted, a duplicate, or the code it was rejected for; Bank null if no partner's.</summary>
    private sealed record Outcome(string? Bank, string Kind, string Result, DateTimeOffset? EventTime)
    {
        public const string Accepted = "accepted", Duplicate = "duplicate";
    }

    private static string? Header(ConsumeResult<string, byte[]> message, string name) =>
        message.Message.Headers?.TryGetLastBytes(name, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;

    [LoggerMessage(LogLevel.Warning, "Kafka path: {Reason}")]
    private partial void LogKafka(string reason);

    [LoggerMessage(LogLevel.Error, "Kafka path: forwarding failed ({Reason}); reading the batch again")]
    private partial void LogForwardFailed(string reason);
}
