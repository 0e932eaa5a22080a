using Confluent.Kafka;
using SkimGuard.Kafka;

namespace SkimGuard.Ingest.Kafka;

/// <summary>
/// The one Kafka producer of Ingest: idempotent, acks=all, with a bounded delivery time so that a request fails with
/// 503 rather than hang when Kafka is down. Callers await every delivery before they answer.
/// </summary>
public sealed class RecordProducer : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;

    public RecordProducer(IngestOptions options, KafkaClients kafka)
    {
        _producer = kafka.Producer(kafka.Settings.Producer(options.BootstrapServers, "ingest", config =>
        {
            config.LingerMs = 2;
            config.CompressionType = CompressionType.Lz4;
            config.MessageTimeoutMs = options.DeliveryTimeoutMs;
            // A rejected record carries its original bytes; allow a large one.
            config.MessageMaxBytes = 8 * 1024 * 1024;
        }));
    }

    /// <summary>The underlying producer, for the Kafka path's forwarding.</summary>
    public IProducer<string, byte[]> Producer => _producer;

    /// <summary>Sends a record; the task completes when Kafka has it (or fails).</summary>
    public Task<DeliveryResult<string, byte[]>> SendAsync(string topic, string key, byte[] value, Headers? headers = null) =>
        _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = value, Headers = headers });

    public void Dispose() => _producer.Dispose();
}
