using Confluent.Kafka;
using SkimGuard.TestSupport;

namespace SkimGuard.Integration.Tests;

public sealed class KafkaFixtureTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task PlainProducersAndConsumersTalkToTheMockClusterOverLoopback()
    {
        const string topic = "fixture-test";
        var producerConfig = new ProducerConfig { BootstrapServers = kafka.BootstrapServers, EnableIdempotence = true, Acks = Acks.All };
        using (var producer = new ProducerBuilder<string, string>(producerConfig).Build())
        {
            for (var i = 0; i < 100; i++)
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"card-{i % 7}", Value = $"message {i}" }, TestContext.Current.CancellationToken);
        }

        var consumerConfig = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = "fixture-test-group",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build();
        consumer.Subscribe(topic);
        var received = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received.Count < 100 && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
                received.Add(result.Message.Value);
        }
        var partitions = consumer.Assignment.Count;
        consumer.Close();

        Assert.Equal(100, received.Count);
        Assert.StartsWith("127.0.0.1:", kafka.BootstrapServers, StringComparison.Ordinal);
        // The mock cluster auto-creates topics with four partitions; one consumer in the group owns them all.
        Assert.Equal(4, partitions);
    }
}
