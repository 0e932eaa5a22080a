using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using SkimGuard.Contracts;
using SkimGuard.Kafka;

namespace SkimGuard.Detector.Tests;

/// <summary>Kafka client settings: code defaults, the service's values, then any librdkafka property from Kafka:Client.</summary>
public sealed class KafkaClientSettingsTests
{
    private static KafkaClientSettings From(params (string Key, string Value)[] settings) =>
        KafkaClientSettings.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void ConfigurationOverridesReachEveryKindOfClientAfterTheServicesOwnValues()
    {
        var settings = From(("Kafka:Client:security.protocol", "SASL_SSL"), ("Kafka:Client:sasl_mechanism", "SCRAM-SHA-512"),
            ("Kafka:Client:client.id", "detector-a"), ("Kafka:Client:fetch.wait.max.ms", "7"));

        var consumer = settings.Consumer("broker:9093", "group", "detector", c => c.FetchWaitMaxMs = 50);
        var producer = settings.Producer("broker:9093", "detector");
        var admin = settings.Admin("broker:9093", "detector");

        foreach (ClientConfig config in new ClientConfig[] { consumer, producer, admin })
        {
            // As librdkafka is given them (Confluent's typed getters cannot parse librdkafka's own spelling, SASL_SSL).
            Assert.Equal("SASL_SSL", config.Get("security.protocol"));
            Assert.Equal("SCRAM-SHA-512", config.Get("sasl.mechanism")); // sasl_mechanism read as sasl.mechanism
            Assert.Equal("detector-a", config.ClientId);
            Assert.Equal("broker:9093", config.BootstrapServers);
        }
        Assert.Equal(7, consumer.FetchWaitMaxMs); // the deployment's word over the service's
        Assert.Equal("group", consumer.GroupId);
    }

    [Fact]
    public void TheDefaultsKeepTheDeliveryGuarantees()
    {
        var settings = new KafkaClientSettings();

        var consumer = settings.Consumer("b", "g", "ingest");
        var producer = settings.Producer("b", "ingest");

        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, consumer.PartitionAssignmentStrategy);
        Assert.True(consumer.StatisticsIntervalMs > 0);
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.StartsWith("skimguard-ingest-", producer.ClientId, StringComparison.Ordinal);
    }

    [Fact]
    public void APropertyTheGuaranteesRestOnCannotBeOverriddenAndTheServiceSaysWhichAtStart()
    {
        var settings = From(("Kafka:Client:enable.auto.offset.store", "true"), ("Kafka:Client:acks", "1"));

        Assert.Equal(2, settings.Problems().Count);
        Assert.False(settings.Consumer("b", "g", "detector").EnableAutoOffsetStore);
        Assert.Equal(Acks.All, settings.Producer("b", "detector").Acks);
        var error = Assert.Throws<InvalidSettingsException>(() => DetectorApp.Build(["--Kafka:Client:enable.idempotence", "false"], o => o.Store = "memory"));
        Assert.Contains(error.Problems, p => p.StartsWith("Kafka:Client:enable.idempotence cannot be overridden", StringComparison.Ordinal));
    }
}
