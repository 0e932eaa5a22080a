using SkimGuard.Kafka.Mock;

namespace SkimGuard.TestSupport;

/// <summary>An xUnit fixture owning one <see cref="MockKafkaCluster"/> for a test class or collection.</summary>
public sealed class KafkaFixture : IDisposable
{
    public MockKafkaCluster Cluster { get; } = MockKafkaCluster.Start();

    public string BootstrapServers => Cluster.BootstrapServers;

    public void Dispose() => Cluster.Dispose();
}
