using System.Text.Json;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;
using SkimGuard.Engine.Windows;
using SkimGuard.Simulator;

namespace SkimGuard.Detector.Tests;

/// <summary>
/// A simulated town's two feeds: 2,000 cards over 40 days with four skimmers, of which the engine finds three (56,000
/// events, about 22 MB of JSON; produced with lz4 so that each partition of the mock cluster stays under its 5 MiB).
/// </summary>
internal sealed class Feeds : ISimulationSink
{
    private static readonly Lazy<Feeds> Town = new(() =>
    {
        var feeds = new Feeds();
        new Simulation(new SimulationOptions { Cards = 2000, Days = 40, Skimmers = 4, Seed = 5, Atms = 150 }).Run(feeds);
        return feeds;
    });

    public static Feeds SimulatedTown => Town.Value;

    public List<Transaction> Transactions { get; } = [];
    public List<FraudReport> Reports { get; } = [];
    public int Count => Transactions.Count + Reports.Count;

    public void Transaction(Transaction transaction) => Transactions.Add(transaction);

    public void FraudReport(FraudReport report) => Reports.Add(report);

    /// <summary>The default fraud model, copied beside the tests.</summary>
    public static string DefaultModel => Path.Combine(AppContext.BaseDirectory, "models", "default.zip");

    /// <summary>
    /// What `skimguard backtest` finds in these feeds: the engine over the in-process store, in merged event-time order,
    /// scoring with <paramref name="modelPath"/> when given.
    /// </summary>
    public async Task<Outcome> BacktestAsync(string? modelPath = null)
    {
        var sink = new OutcomeSink();
        var model = modelPath is null ? null : Models.FraudModel.Load(modelPath);
        var scoring = model is null ? null : new Engine.Features.FraudScoring(() => model);
        var engine = new CompromiseEngine(new InProcessWindowStore(), sink, new CppOptions(), AtmRegistry.Empty, scoring);
        foreach (var e in EventTimeMerge.Merge(Transactions.Select(ReplayEvent.Of), Reports.Select(ReplayEvent.Of)))
        {
            if (e.Transaction is { } tx)
                await engine.ProcessAsync(tx);
            else
                await engine.ProcessAsync(e.Report!);
        }
        await engine.FlushRescansAsync(DateTimeOffset.MaxValue);
        return sink.Outcome();
    }

    /// <summary>Produces both feeds (key: card token), as Ingest would.</summary>
    public async Task ProduceAsync(string bootstrapServers, TopicSet topics)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers, EnableIdempotence = true, Acks = Acks.All, CompressionType = CompressionType.Lz4, LingerMs = 20,
        }).Build();
        foreach (var tx in Transactions)
            producer.Produce(topics.Transactions, new Message<string, byte[]> { Key = tx.CardToken, Value = JsonSerializer.SerializeToUtf8Bytes(tx, ContractsJsonContext.Default.Transaction) });
        foreach (var report in Reports)
            producer.Produce(topics.FraudReports, new Message<string, byte[]> { Key = report.CardToken, Value = JsonSerializer.SerializeToUtf8Bytes(report, ContractsJsonContext.Default.FraudReport) });
        producer.Flush(TimeSpan.FromSeconds(60));
        await Task.CompletedTask;
    }
}

/// <summary>Topic names of one test, so tests sharing a mock cluster do not see each other's messages.</summary>
internal sealed record TopicSet(string Prefix)
{
    public string Transactions => $"{Prefix}.transactions";
    public string FraudReports => $"{Prefix}.fraud-reports";
    public string Alerts => $"{Prefix}.atm-alerts";
    public string CardsAtRisk => $"{Prefix}.cards-at-risk";
    public string Rejected => $"{Prefix}.rejected";

    public static TopicSet New() => new($"t{Guid.NewGuid():N}");

    /// <summary>
    /// Points a detector at this test's Kafka, Redis and topics: its own consumer group and Redis key prefix, and a short
    /// session timeout so that a stopped replica's partitions move quickly.
    /// </summary>
    public void Configure(DetectorOptions options, string bootstrapServers, string redis)
    {
        options.BootstrapServers = bootstrapServers;
        options.GroupId = Prefix;
        options.Redis = redis;
        options.RedisKeyPrefix = Prefix;
        options.SessionTimeoutMs = 6000;
        options.TransactionsTopic = Transactions;
        options.FraudReportsTopic = FraudReports;
        options.AlertsTopic = Alerts;
        options.CardsAtRiskTopic = CardsAtRisk;
        options.RejectedTopic = Rejected;
    }

    /// <summary>The same settings as environment variables, for a detector run as its own process.</summary>
    public IEnumerable<(string Name, string Value)> Environment() =>
    [
        ("Detector__TransactionsTopic", Transactions), ("Detector__FraudReportsTopic", FraudReports), ("Detector__AlertsTopic", Alerts),
        ("Detector__CardsAtRiskTopic", CardsAtRisk), ("Detector__RejectedTopic", Rejected),
    ];
}

/// <summary>The newest state of every alert (by id) and every distinct cards-at-risk message, as JSON.</summary>
internal sealed record Outcome(IReadOnlyDictionary<string, string> Alerts, IReadOnlySet<string> CardsAtRisk, int AlertMessages)
{
    /// <summary>Reads what a detector produced, from the start of its output topics to their ends.</summary>
    public static Outcome Read(string bootstrapServers, TopicSet topics)
    {
        var alerts = new Dictionary<string, string>(StringComparer.Ordinal);
        var cards = new HashSet<string>(StringComparer.Ordinal);
        var alertMessages = 0;
        foreach (var (topic, value) in Messages.ReadAll(bootstrapServers, [topics.Alerts, topics.CardsAtRisk]))
        {
            var json = System.Text.Encoding.UTF8.GetString(value);
            if (topic == topics.Alerts)
            {
                alertMessages++;
                alerts[JsonSerializer.Deserialize(value, ContractsJsonContext.Default.AtmAlert)!.AlertId] = json;
            }
            else
                cards.Add(json);
        }
        return new Outcome(alerts, cards, alertMessages);
    }
}

internal sealed class OutcomeSink : IAlertSink
{
    private readonly Dictionary<string, string> _alerts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cards = new(StringComparer.Ordinal);
    private int _alertMessages;

    public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken)
    {
        _alertMessages++;
        _alerts[alert.AlertId] = JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken)
    {
        _cards.Add(JsonSerializer.Serialize(cardsAtRisk, ContractsJsonContext.Default.CardsAtRisk));
        return ValueTask.CompletedTask;
    }

    public Outcome Outcome() => new(_alerts, _cards, _alertMessages);
}

/// <summary>Reading whole topics in tests.</summary>
internal static class Messages
{
    /// <summary>Every message of the topics, from the start to the ends they have now.</summary>
    public static List<(string Topic, byte[] Value)> ReadAll(string bootstrapServers, IReadOnlyList<string> topics) =>
        [.. ReadAllWithHeaders(bootstrapServers, topics).Select(m => (m.Topic, m.Message.Value))];

    public static List<ConsumeResult<string, byte[]>> ReadAllWithHeaders(string bootstrapServers, IReadOnlyList<string> topics)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = $"reader-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false, EnablePartitionEof = true, SessionTimeoutMs = 6000, AllowAutoCreateTopics = true,
        }).Build();
        // Assign every partition directly: no group join to wait for. The mock cluster makes four per topic.
        var partitions = topics.SelectMany(t => Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(t, p, Offset.Beginning))).ToList();
        consumer.Assign(partitions);
        var ended = new HashSet<TopicPartition>();
        var messages = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (ended.Count < partitions.Count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
                continue;
            if (result.IsPartitionEOF)
                ended.Add(result.TopicPartition);
            else
                messages.Add(result);
        }
        // A read cut short would make older states look like the newest: fail rather than compare a partial topic.
        if (ended.Count < partitions.Count)
            throw new TimeoutException($"read only {ended.Count} of {partitions.Count} partitions to their end in 90 s ({messages.Count} messages)");
        return messages;
    }
}
