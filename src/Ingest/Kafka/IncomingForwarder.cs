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
        }).SetLogHandler((_, log) =>
        {
            if (log.Level <= SyslogLevel.Warning)
                LogKafka(log.Message);
        }).Build();
        consumer.Subscribe(options.IncomingTopic);
        try
        {
            var batch = new List<ConsumeResult<string, byte[]>>(BatchSize);
            while (!stoppingToken.IsCancellationRequested)
            {
                batch.Clear();
                try
                {
                    for (var wait = TimeSpan.FromMilliseconds(100); batch.Count < BatchSize && consumer.Consume(wait) is { } message; wait = TimeSpan.Zero)
                        batch.Add(message);
                }
                catch (ConsumeException e)
                {
                    LogKafka(e.Error.Reason);
                }
                if (batch.Count == 0)
                    continue;
                try
                {
                    await ForwardAsync(batch);
                    foreach (var last in batch.GroupBy(m => m.TopicPartition).Select(g => g.MaxBy(m => m.Offset.Value)!))
                        consumer.StoreOffset(new TopicPartitionOffset(last.TopicPartition, last.Offset + 1));
                }
                catch (KafkaException e)
                {
                    // Nothing stored: read the batch again after a pause. Forwards already made are sent again; the
                    // detector applies each record once.
                    LogForwardFailed(e.Message);
                    foreach (var first in batch.GroupBy(m => m.TopicPartition).Select(g => g.MinBy(m => m.Offset.Value)!))
                        consumer.Seek(first.TopicPartitionOffset);
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    private async Task ForwardAsync(List<ConsumeResult<string, byte[]>> batch)
    {
        var sends = new List<Task>(batch.Count);
        foreach (var message in batch)
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
                    if (duplicates.Claim(kind == RecordKind.Transaction ? 't' : 'r', bank, [record.Id!])[0])
                    {
                        sends.Add(producer.SendAsync(intake.TopicOf(kind.Value), record.Key!, record.Message));
                        metrics.Accepted.WithLabels(bank, kindLabel, "kafka").Inc();
                        status.Of(bank).Add(1, 0, [], record.EventTime);
                    }
                    else
                    {
                        metrics.Duplicates.WithLabels(bank, kindLabel).Inc();
                        status.Of(bank).Add(0, 1, [], null);
                    }
                    continue;
                }
                problems = record.Problems;
            }
            metrics.Rejected.WithLabels(bank ?? "unknown", kindLabel, "kafka", problems[0].Code).Inc();
            if (bank is not null && options.Banks.ContainsKey(bank))
                status.Of(bank).Add(0, 0, [problems[0].Code], null);
            var key = Encoding.UTF8.GetString(PanScanner.MaskPans(Encoding.UTF8.GetBytes(message.Message.Key ?? "")));
            sends.Add(producer.SendAsync(options.RejectedTopic, key, PanScanner.MaskPans(message.Message.Value ?? []), new Headers
            {
                { RejectedHeaders.Reason, Encoding.UTF8.GetBytes(string.Join("; ", problems)) },
                { RejectedHeaders.Codes, Encoding.UTF8.GetBytes(string.Join(',', problems.Select(p => p.Code).Distinct())) },
                { RejectedHeaders.Source, Encoding.UTF8.GetBytes($"{message.Topic}/{message.Partition.Value}/{message.Offset.Value}") },
            }));
        }
        await Task.WhenAll(sends);
    }

    private static string? Header(ConsumeResult<string, byte[]> message, string name) =>
        message.Message.Headers?.TryGetLastBytes(name, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;

    [LoggerMessage(LogLevel.Warning, "Kafka path: {Reason}")]
    private partial void LogKafka(string reason);

    [LoggerMessage(LogLevel.Error, "Kafka path: forwarding failed ({Reason}); reading the batch again")]
    private partial void LogForwardFailed(string reason);
}
