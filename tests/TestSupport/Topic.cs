using Confluent.Kafka;

namespace SkimGuard.TestSupport;

/// <summary>Reads a topic of the mock cluster (four partitions) from its start to its end now, as the tests check what a service produced.</summary>
public static class Topic
{
    /// <summary>Every message value of a topic, from the start to its end now.</summary>
    public static List<Message<string, byte[]>> ReadAll(string bootstrapServers, string topic)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = $"reader-{Guid.NewGuid():N}", EnableAutoCommit = false, EnablePartitionEof = true, AllowAutoCreateTopics = true,
        }).Build();
        var partitions = Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)).ToList();
        consumer.Assign(partitions);
        var ended = new HashSet<int>();
        var messages = new List<Message<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (ended.Count < 4 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result)
                continue;
            if (result.IsPartitionEOF)
                ended.Add(result.Partition.Value);
            else
                messages.Add(result.Message);
        }
        return messages;
    }
}
