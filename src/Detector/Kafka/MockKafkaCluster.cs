using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace SkimGuard.Detector.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster: a real Kafka protocol server on loopback TCP, created in-process by a client
/// configured with test.mock.num.brokers. It lives as long as that client. Ordinary producers and consumers reach
/// it through <see cref="BootstrapServers"/>, read from the client's log line
/// "Mock cluster enabled: … replaced with 127.0.0.1:PORT". Topics auto-create with four partitions. The tests, the
/// benchmarks and the embedded demo use it; deployments use Apache Kafka.
/// </summary>
public sealed partial class MockKafkaCluster : IDisposable
{
    private readonly IProducer<Null, Null> _owner;

    /// <summary>Where ordinary clients reach the cluster: "127.0.0.1:PORT".</summary>
    public string BootstrapServers { get; }

    private MockKafkaCluster(IProducer<Null, Null> owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Starts a one-broker cluster and waits (up to 10 s) for its address.</summary>
    public static MockKafkaCluster Start()
    {
        var address = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var config = new ProducerConfig { BootstrapServers = "mock" };
        config.Set("test.mock.num.brokers", "1");
        var owner = new ProducerBuilder<Null, Null>(config)
            .SetLogHandler((_, message) =>
            {
                var match = MockAddress().Match(message.Message);
                if (match.Success)
                    address.TrySetResult(match.Groups[1].Value);
            })
            .Build();
        if (!address.Task.Wait(TimeSpan.FromSeconds(10)))
        {
            owner.Dispose();
            throw new TimeoutException("librdkafka did not report the mock cluster's address within 10 s");
        }
        return new MockKafkaCluster(owner, address.Task.Result);
    }

    [GeneratedRegex(@"replaced with (127\.0\.0\.1:\d+)")]
    private static partial Regex MockAddress();

    /// <summary>Stops the cluster (its topics are gone).</summary>
    public void Dispose() => _owner.Dispose();
}
