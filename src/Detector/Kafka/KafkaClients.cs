using Confluent.Kafka;

namespace SkimGuard.Detector.Kafka;

/// <summary>The detector's Kafka client settings, in one place.</summary>
internal static class KafkaClients
{
    /// <summary>
    /// The consumer: a group member with cooperative-sticky assignment (a rebalance moves only the partitions that
    /// must move), offsets stored by hand only after their batch is committed and auto-committed from there, and
    /// end-of-partition events so that the event-time order knows which partitions are caught up.
    /// </summary>
    public static ConsumerConfig Consumer(DetectorOptions options) => new()
    {
        BootstrapServers = options.BootstrapServers,
        GroupId = options.GroupId,
        ClientId = $"skimguard-detector-{Environment.MachineName}-{Environment.ProcessId}",
        PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        EnableAutoCommit = true,
        AutoCommitIntervalMs = 1000,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = true,
        AllowAutoCreateTopics = true,
        SessionTimeoutMs = options.SessionTimeoutMs,
        HeartbeatIntervalMs = Math.Max(100, options.SessionTimeoutMs / 5),
        // Batches of thousands: let librdkafka keep a good number of messages fetched ahead.
        QueuedMinMessages = Math.Max(10_000, options.BatchSize * 2),
        // Once that many are queued librdkafka stops fetching for fetch.queue.backoff.ms, 1 s by default: a consumer
        // that drains its queue in milliseconds then sits idle for the rest of the second (measured: a bare consume
        // loop read 30,000 messages/s with it, 300,000/s with 10 ms; docs/benchmarks/detector.md).
        FetchQueueBackoffMs = 10,
        FetchWaitMaxMs = options.FetchWaitMaxMs,
        // New topics (a bank's first feed on a fresh cluster) are noticed within this, not Kafka's 5 minutes.
        TopicMetadataRefreshIntervalMs = 10_000,
        // The loop reads a message's topic and timestamp, never its headers: not copying them saves two objects a message.
        ConsumeResultFields = "topic,timestamp",
    };

    /// <summary>
    /// The producer of alerts, cards at risk and rejections: idempotent (no duplicates from its own retries, order kept
    /// per partition), acknowledged by all in-sync replicas.
    /// </summary>
    public static ProducerConfig Producer(DetectorOptions options) => new()
    {
        BootstrapServers = options.BootstrapServers,
        ClientId = $"skimguard-detector-{Environment.MachineName}-{Environment.ProcessId}",
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = 5,
        // A rejected message carries at most MaxMessageBytes of the original, plus headers.
        MessageMaxBytes = Math.Max(1_000_000, options.MaxMessageBytes + 64 * 1024),
    };
}
