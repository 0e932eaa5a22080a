using Confluent.Kafka;
using Microsoft.Extensions.Configuration;

namespace SkimGuard.Kafka;

/// <summary>
/// Every Kafka client's settings: safe defaults in code, then the service's own settings (bootstrap servers, group,
/// batch sizes), then any librdkafka property from the "Kafka:Client" configuration section, so that TLS, SASL,
/// client.id and the rest work against a real cluster without a code change (docs/configuration.md). A few properties
/// the services' delivery guarantees rest on cannot be overridden; <see cref="Problems"/> names them.
/// </summary>
public sealed class KafkaClientSettings
{
    /// <summary>The configuration section read: Kafka:Client:security.protocol, or Kafka__Client__security.protocol.</summary>
    public const string Section = "Kafka:Client";

    /// <summary>
    /// Properties the consume loops and producers depend on: offsets stored only after their batch is done, end-of-partition
    /// events for the event-time order, idempotent acks=all producers. Overriding them would silently lose or repeat records.
    /// </summary>
    private static readonly HashSet<string> Owned = new(StringComparer.OrdinalIgnoreCase)
    {
        "enable.auto.offset.store", "enable.partition.eof", "enable.idempotence", "acks", "request.required.acks", "group.id",
    };

    private readonly Dictionary<string, string> _overrides;

    /// <summary>Settings with these overrides (librdkafka property names; values as librdkafka reads them).</summary>
    public KafkaClientSettings(IReadOnlyDictionary<string, string>? overrides = null) =>
        _overrides = overrides?.ToDictionary(p => PropertyName(p.Key), p => p.Value, StringComparer.OrdinalIgnoreCase) ?? [];

    /// <summary>The overrides in <see cref="Section"/> of <paramref name="configuration"/>.</summary>
    public static KafkaClientSettings From(IConfiguration configuration) =>
        new(configuration.GetSection(Section).GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!));

    /// <summary>The property names overridden, for the start-up log line (their values may be secrets, so never those).</summary>
    public IReadOnlyCollection<string> OverriddenProperties => _overrides.Keys;

    /// <summary>Every override that cannot be honoured, named with the reason; empty when all can.</summary>
    public IReadOnlyList<string> Problems() =>
        [.. _overrides.Keys.Where(Owned.Contains).Select(key => $"{Section}:{key} cannot be overridden: the services' delivery guarantees rest on it")];

    /// <summary>
    /// A consumer: a group member with cooperative-sticky assignment (a rebalance moves only the partitions that must move),
    /// offsets stored by the loop after their batch is done and auto-committed from there, reading a new group from the
    /// start, librdkafka statistics every 5 s for the lag gauge. <paramref name="tune"/> sets the service's own values.
    /// </summary>
    public ConsumerConfig Consumer(string bootstrapServers, string groupId, string service, Action<ConsumerConfig>? tune = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            ClientId = ClientId(service),
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 1000,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            AllowAutoCreateTopics = true,
            // New topics (a bank's first feed on a fresh cluster) are noticed within this, not Kafka's 5 minutes.
            TopicMetadataRefreshIntervalMs = 10_000,
            // Once queued.min.messages are fetched librdkafka stops fetching for fetch.queue.backoff.ms, 1 s by default: a
            // loop that drains its queue in milliseconds then sits idle for the rest of the second (docs/benchmarks/detector.md).
            FetchQueueBackoffMs = 10,
            StatisticsIntervalMs = 5000,
        };
        tune?.Invoke(config);
        return Overridden(config);
    }

    /// <summary>
    /// A producer: idempotent (no duplicates from its own retries, order kept per partition) and acknowledged by all
    /// in-sync replicas. <paramref name="tune"/> sets the service's own values (linger, message size, timeout).
    /// </summary>
    public ProducerConfig Producer(string bootstrapServers, string service, Action<ProducerConfig>? tune = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = ClientId(service),
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        };
        tune?.Invoke(config);
        return Overridden(config);
    }

    /// <summary>An admin client (metadata for readiness checks and partition counts), with the same security settings.</summary>
    public AdminClientConfig Admin(string bootstrapServers, string service) =>
        Overridden(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = ClientId(service) });

    private T Overridden<T>(T config) where T : ClientConfig
    {
        foreach (var (key, value) in _overrides)
            if (!Owned.Contains(key))
                config.Set(key, value);
        return config;
    }

    private static string ClientId(string service) => $"skimguard-{service}-{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// librdkafka names have dots, which not every shell can put in an environment variable's name: Kafka__Client__sasl_mechanism
    /// is read as sasl.mechanism. A name with a dot in it is taken as written.
    /// </summary>
    private static string PropertyName(string key) => key.Contains('.', StringComparison.Ordinal) ? key : key.Replace('_', '.');
}
