using System.ComponentModel.DataAnnotations;
using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;

namespace SkimGuard.Detector;

/// <summary>
/// The detector's settings, from the "Detector" configuration section (environment: Detector__BootstrapServers and so
/// on). <see cref="Problems"/> names every bad value, and the service refuses to start while there is one.
/// </summary>
public sealed class DetectorOptions
{
    /// <summary>Kafka bootstrap servers, host:port, comma-separated.</summary>
    public string BootstrapServers { get; set; } = "localhost:9092";

    /// <summary>The consumer group: detector replicas in one group split the partitions.</summary>
    public string GroupId { get; set; } = "skimguard-detector";

    /// <summary>Topic of validated transactions.</summary>
    public string TransactionsTopic { get; set; } = Topics.Transactions;

    /// <summary>Topic of validated fraud reports.</summary>
    public string FraudReportsTopic { get; set; } = Topics.FraudReports;

    /// <summary>Where alerts go (key: terminal).</summary>
    public string AlertsTopic { get; set; } = Topics.AtmAlerts;

    /// <summary>Where each bank's cards at risk go (key: bank).</summary>
    public string CardsAtRiskTopic { get; set; } = Topics.CardsAtRisk;

    /// <summary>Where malformed or invalid messages go, with the reason.</summary>
    public string RejectedTopic { get; set; } = Topics.Rejected;

    /// <summary>Kafka consumer session timeout: how soon the group notices a dead replica.</summary>
    public int SessionTimeoutMs { get; set; } = 10_000;

    /// <summary>The window store: "redis" (shared, durable; production) or "memory" (one process; demo and benchmarks).</summary>
    public string Store { get; set; } = "redis";

    /// <summary>StackExchange.Redis configuration string.</summary>
    public string Redis { get; set; } = "localhost:6379";

    /// <summary>Prefix of every Redis key, so several deployments can share one Redis.</summary>
    public string RedisKeyPrefix { get; set; } = "sg";

    /// <summary>
    /// Most messages read, and most events applied, as one batch (one MULTI/EXEC, one offset store). Deeper batches
    /// spread Redis's round trips over more events, but a commit blocks Redis for every other client while it runs.
    /// </summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>
    /// Longest wait to fill a batch once its first message is in, in milliseconds: bigger batches under light traffic
    /// at the cost of this much latency. 0: take what has been fetched and go.
    /// </summary>
    public int BatchWaitMs { get; set; }

    /// <summary>
    /// How far behind the slowest partition's latest event an event may arrive and still be applied in event-time
    /// order, in milliseconds. Partitions that are caught up do not hold the order back. 0 by default: each partition
    /// is in order by itself (Ingest keys by card), so only the partitions' relative order needs restoring, and every
    /// millisecond here is a millisecond of latency on live traffic.
    /// </summary>
    public int ReorderLatenessMs { get; set; }

    /// <summary>
    /// How long the broker may hold a fetch of a drained partition waiting for more, in milliseconds (Kafka's
    /// fetch.wait.max.ms; its 500 ms default would be the detector's latency under light traffic).
    /// </summary>
    public int FetchWaitMaxMs { get; set; } = 5;

    /// <summary>Most events held for ordering; beyond it the oldest are applied even if a lagging partition may still send older ones.</summary>
    public int MaxBufferedEvents { get; set; } = 200_000;

    /// <summary>Largest message accepted, in bytes; a larger one is rejected unread.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Longest pause between retries while Kafka or Redis is unavailable, in milliseconds.</summary>
    public int MaxRetryBackoffMs { get; set; } = 30_000;

    /// <summary>The CPP engine's thresholds (docs/cpp-engine.md).</summary>
    public CppOptions Engine { get; set; } = new();

    /// <summary>Optional ATM registry CSV, for alert locations.</summary>
    public string? AtmRegistryPath { get; set; }

    /// <summary>
    /// Optional fraud model (models/NAME.zip) scoring every transaction; replaced without a restart when the file
    /// changes. Its feature windows live in the window store (Redis: shared by the replicas, committed with each batch).
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>How often the model file is checked for a new model.</summary>
    public int ModelPollSeconds { get; set; } = 5;

    /// <summary>Every bad value, named with its setting; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Require(!string.IsNullOrWhiteSpace(BootstrapServers), "Detector:BootstrapServers is empty");
        Require(!string.IsNullOrWhiteSpace(GroupId), "Detector:GroupId is empty");
        foreach (var (name, topic) in new[] { ("TransactionsTopic", TransactionsTopic), ("FraudReportsTopic", FraudReportsTopic), ("AlertsTopic", AlertsTopic), ("CardsAtRiskTopic", CardsAtRiskTopic), ("RejectedTopic", RejectedTopic) })
            Require(!string.IsNullOrWhiteSpace(topic) && topic.Length <= 249 && topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'),
                $"Detector:{name} '{topic}' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
        Require(SessionTimeoutMs is >= 1_000 and <= 300_000, "Detector:SessionTimeoutMs must be from 1000 to 300000");
        Require(Store is "redis" or "memory", $"Detector:Store must be 'redis' or 'memory', not '{Store}'");
        Require(Store != "redis" || !string.IsNullOrWhiteSpace(Redis), "Detector:Redis is empty");
        Require(!string.IsNullOrWhiteSpace(RedisKeyPrefix) && !RedisKeyPrefix.Contains('{', StringComparison.Ordinal), "Detector:RedisKeyPrefix must be non-empty and hold no '{'");
        Require(BatchSize is >= 1 and <= 100_000, "Detector:BatchSize must be from 1 to 100000");
        Require(BatchWaitMs is >= 0 and <= 10_000, "Detector:BatchWaitMs must be from 0 to 10000");
        Require(FetchWaitMaxMs is >= 0 and <= 10_000, "Detector:FetchWaitMaxMs must be from 0 to 10000");
        Require(ReorderLatenessMs is >= 0 and <= 3_600_000, "Detector:ReorderLatenessMs must be from 0 to 3600000");
        Require(MaxBufferedEvents >= BatchSize, "Detector:MaxBufferedEvents must be at least Detector:BatchSize");
        Require(MaxMessageBytes is >= 1_024 and <= 8 * 1024 * 1024, "Detector:MaxMessageBytes must be from 1024 to 8388608");
        Require(MaxRetryBackoffMs is >= 100 and <= 600_000, "Detector:MaxRetryBackoffMs must be from 100 to 600000");
        Require(AtmRegistryPath is null || File.Exists(AtmRegistryPath), $"Detector:AtmRegistryPath '{AtmRegistryPath}' does not exist");
        Require(string.IsNullOrEmpty(ModelPath) || File.Exists(ModelPath), $"Detector:ModelPath '{ModelPath}' does not exist");
        Require(ModelPollSeconds is >= 1 and <= 3600, "Detector:ModelPollSeconds must be from 1 to 3600");
        var engineProblems = new List<ValidationResult>();
        Validator.TryValidateObject(Engine, new ValidationContext(Engine), engineProblems, validateAllProperties: true);
        problems.AddRange(engineProblems.Select(p => $"Detector:Engine:{string.Join(',', p.MemberNames)}: {p.ErrorMessage}"));
        return problems;
    }
}
