using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Validation;
using SkimGuard.Ingest.Observability;
using SkimGuard.Ingest.Records;
using SkimGuard.Kafka;

namespace SkimGuard.Ingest.Kafka;

/// <summary>
/// The Kafka path for banks that produce directly, on the shared consume loop: each message on the incoming topic, from
/// the bank its header names (bound to the producer's credentials by the deployment), is validated by the same code as
/// the HTTP path and forwarded, or sent to the rejected topic with the reason and its original bytes (card numbers
/// masked). Offsets are stored only once a batch's forwards and rejections are acknowledged.
/// </summary>
public sealed partial class IncomingForwarder(IngestOptions options, KafkaClients kafka, FeedIntake intake, RecordProducer producer, Deduplicator duplicates,
    FeedStatus status, IngestMetrics metrics) : KafkaConsumerLoop(kafka)
{
    // One batch's deliveries overlap the reading and validating of the next: Kafka's acknowledgements are awaited a batch
    // late, not before every read (docs/benchmarks/ingest.md).
    private ForwardedBatch? _inFlight;
    // Batches whose sends were started and not yet counted: read again if a batch fails.
    private readonly List<ForwardedBatch> _unfinished = [];

    /// <inheritdoc />
    protected override ConsumerConfig ConsumerConfig => Kafka.Settings.Consumer(options.BootstrapServers, options.IncomingGroupId, "ingest", config =>
    {
        config.FetchWaitMaxMs = 5;
        config.QueuedMinMessages = BatchSize * 2;
    });

    /// <inheritdoc />
    protected override IReadOnlyList<string> Topics => [options.IncomingTopic];

    /// <inheritdoc />
    protected override int BatchSize => 5000;

    /// <inheritdoc />
    protected override Prometheus.Gauge LagGauge => metrics.ConsumerLag;

    /// <inheritdoc />
    protected override async Task HandleBatchAsync(IConsumer<string, byte[]> consumer, IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken stoppingToken)
    {
        var forwarding = batch.Count == 0 ? null : Forward([.. batch]);
        if (forwarding is not null)
            _unfinished.Add(forwarding);
        if (_inFlight is not null)
            await CompleteAsync(consumer, _inFlight);
        _inFlight = forwarding;
    }

    /// <summary>
    /// A batch's deliveries failed: nothing unfinished is counted, its duplicate claims are given back, and it is read
    /// again after the pause. Forwards that did reach Kafka are sent again, and the detector applies each record once.
    /// </summary>
    protected override async Task RecoverAsync(IConsumer<string, byte[]> consumer, Exception failure, CancellationToken stoppingToken)
    {
        foreach (var batch in _unfinished)
        {
            await Task.WhenAll(batch.Deliveries).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // read again whatever its outcome
            batch.GiveBackClaims(duplicates);
        }
        foreach (var first in _unfinished.SelectMany(b => b.Messages).GroupBy(m => m.TopicPartition).Select(g => g.MinBy(m => m.Offset.Value)!))
            ForOwnedPartition(() => consumer.Seek(first.TopicPartitionOffset));
        _unfinished.Clear();
        _inFlight = null;
    }

    /// <summary>The batch in flight is counted and its offsets stored if its deliveries succeed; else it is read again after a restart.</summary>
    protected override async Task StoppingAsync(IConsumer<string, byte[]> consumer)
    {
        if (_inFlight is null)
            return;
        try
        {
            await CompleteAsync(consumer, _inFlight);
        }
        catch (KafkaException)
        {
        }
    }

    /// <summary>Waits for a batch's deliveries (throwing if any failed), then counts it and stores its offsets.</summary>
    private async Task CompleteAsync(IConsumer<string, byte[]> consumer, ForwardedBatch batch)
    {
        await Task.WhenAll(batch.Deliveries);
        _unfinished.Remove(batch);
        batch.Count(metrics, status);
        foreach (var last in batch.Messages.GroupBy(m => m.TopicPartition).Select(g => g.MaxBy(m => m.Offset.Value)!))
            ForOwnedPartition(() => consumer.StoreOffset(new TopicPartitionOffset(last.TopicPartition, last.Offset + 1)));
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
}
