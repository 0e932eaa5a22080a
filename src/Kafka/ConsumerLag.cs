using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Prometheus;

namespace SkimGuard.Kafka;

/// <summary>
/// A consumer's lag by topic and partition, from librdkafka's statistics (consumer_lag: the partition's end less the
/// group's committed offset, what the group still has to do). Only partitions this member holds have a series: a
/// revoked or lost partition's series is removed at once, since its new owner reports it and a dashboard summing the
/// group's lag would count it twice.
/// </summary>
public sealed class ConsumerLag(Gauge gauge)
{
    private readonly HashSet<TopicPartition> _held = [];
    private readonly Lock _lock = new();

    /// <summary>Partitions given to this member.</summary>
    public void Assigned(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
            _held.UnionWith(partitions);
    }

    /// <summary>Partitions taken away (revoked or lost): their series go.</summary>
    public void Gone(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _held.Remove(partition);
                gauge.RemoveLabelled(partition.Topic, partition.Partition.Value.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>Reads a statistics document (librdkafka's STATISTICS.md) and sets the held partitions' series.</summary>
    public void Update(string statistics)
    {
        using var document = JsonDocument.Parse(statistics);
        if (!document.RootElement.TryGetProperty("topics", out var topics))
            return;
        lock (_lock)
        {
            foreach (var topic in topics.EnumerateObject())
            {
                if (!topic.Value.TryGetProperty("partitions", out var partitions))
                    continue;
                foreach (var entry in partitions.EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, CultureInfo.InvariantCulture, out var partition) || partition < 0
                        || !_held.Contains(new TopicPartition(topic.Name, partition)))
                        continue;
                    // -1 until the group has committed an offset there; then what is stored locally is the best there is.
                    var lag = Lag(entry.Value, "consumer_lag");
                    if (lag < 0)
                        lag = Lag(entry.Value, "consumer_lag_stored");
                    if (lag >= 0)
                        gauge.WithLabels(topic.Name, entry.Name).Set(lag);
                }
            }
        }
    }

    private static long Lag(JsonElement partition, string name) =>
        partition.TryGetProperty(name, out var value) && value.TryGetInt64(out var lag) ? lag : -1;
}
