using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace SkimGuard.Kafka.Mock;

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

    /// <summary>
    /// Takes the broker down (its connections dropped, new ones refused) or brings it back, keeping its address and its
    /// topics: a Kafka outage for the tests. Uses librdkafka's mock API (rd_kafka_mock_broker_set_down/up), which
    /// Confluent.Kafka does not wrap.
    /// </summary>
    public void SetBrokerUp(bool up)
    {
        var cluster = NativeMock.rd_kafka_handle_mock_cluster(LibrdkafkaHandle());
        if (cluster == IntPtr.Zero)
            throw new InvalidOperationException("this client holds no mock cluster");
        var error = up ? NativeMock.rd_kafka_mock_broker_set_up(cluster, 1) : NativeMock.rd_kafka_mock_broker_set_down(cluster, 1);
        if (error != 0)
            throw new InvalidOperationException($"librdkafka refused to set the mock broker {(up ? "up" : "down")}: error {error}");
    }

    /// <summary>
    /// Creates a topic with <paramref name="partitions"/> partitions (auto-created topics get four). The cluster keeps
    /// about 5 MiB per partition, so a benchmark that needs more data on one topic spreads it over more partitions.
    /// </summary>
    public void CreateTopic(string topic, int partitions)
    {
        var cluster = NativeMock.rd_kafka_handle_mock_cluster(LibrdkafkaHandle());
        if (cluster == IntPtr.Zero)
            throw new InvalidOperationException("this client holds no mock cluster");
        var error = NativeMock.rd_kafka_mock_topic_create(cluster, topic, partitions, 1);
        if (error != 0)
            throw new InvalidOperationException($"librdkafka refused to create {topic}: error {error}");
    }

    /// <summary>
    /// Makes the broker answer the next <paramref name="count"/> Produce requests with <paramref name="error"/>: a
    /// partial outage for the tests. A retriable error has producers retry until their message timeout.
    /// </summary>
    public void FailNextProduceRequests(int count, ErrorCode error) => FailNextRequests(KafkaApi.Produce, count, error);

    /// <summary>
    /// Makes the broker answer the next <paramref name="count"/> requests of <paramref name="api"/> with
    /// <paramref name="error"/> (rd_kafka_mock_push_request_errors_array). FencedInstanceId on Heartbeat is a fatal error
    /// for a static group member (one with group.instance.id): how the tests make a service's consumer fail for good.
    /// </summary>
    public void FailNextRequests(KafkaApi api, int count, ErrorCode error)
    {
        var cluster = NativeMock.rd_kafka_handle_mock_cluster(LibrdkafkaHandle());
        if (cluster == IntPtr.Zero)
            throw new InvalidOperationException("this client holds no mock cluster");
        var errors = Enumerable.Repeat((int)error, count).ToArray();
        NativeMock.rd_kafka_mock_push_request_errors_array(cluster, (short)api, (nuint)count, errors);
    }

    /// <summary>The rd_kafka_t* behind the owning client (Confluent.Kafka keeps it in an internal SafeHandle).</summary>
    private IntPtr LibrdkafkaHandle()
    {
        var member = typeof(Handle).GetProperty("LibrdkafkaHandle", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)
            ?? throw new InvalidOperationException("Confluent.Kafka's Handle has no LibrdkafkaHandle");
        return ((System.Runtime.InteropServices.SafeHandle)member.GetValue(_owner.Handle)!).DangerousGetHandle();
    }

    /// <summary>
    /// The mock functions used here, looked up in the librdkafka build Confluent.Kafka loaded: librdkafka.redist ships several
    /// for Linux (glibc with SASL, CentOS 8, Alpine) and loads the first this machine can; asking again for each finds
    /// the same one already in the process.
    /// </summary>
    private static unsafe class NativeMock
    {
        private static readonly IntPtr Library = Load();

        public static IntPtr rd_kafka_handle_mock_cluster(IntPtr rk) =>
            ((delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(Library, "rd_kafka_handle_mock_cluster"))(rk);

        public static int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId) =>
            ((delegate* unmanaged<IntPtr, int, int>)NativeLibrary.GetExport(Library, "rd_kafka_mock_broker_set_down"))(cluster, brokerId);

        public static int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId) =>
            ((delegate* unmanaged<IntPtr, int, int>)NativeLibrary.GetExport(Library, "rd_kafka_mock_broker_set_up"))(cluster, brokerId);

        public static int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor)
        {
            var name = Marshal.StringToCoTaskMemUTF8(topic);
            try
            {
                return ((delegate* unmanaged<IntPtr, IntPtr, int, int, int>)NativeLibrary.GetExport(Library, "rd_kafka_mock_topic_create"))(cluster, name, partitions, replicationFactor);
            }
            finally
            {
                Marshal.FreeCoTaskMem(name);
            }
        }

        public static void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count, int[] errors)
        {
            fixed (int* first = errors)
                ((delegate* unmanaged<IntPtr, short, nuint, int*, void>)NativeLibrary.GetExport(Library, "rd_kafka_mock_push_request_errors_array"))(cluster, apiKey, count, first);
        }

        private static IntPtr Load()
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.StartsWith("linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64", "native");
            foreach (var name in new[] { "librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so" })
                if (NativeLibrary.TryLoad(Path.Combine(folder, name), out var handle))
                    return handle;
            throw new DllNotFoundException($"no librdkafka build in {folder} loads on this machine");
        }
    }

    /// <summary>Stops the cluster (its topics are gone).</summary>
    public void Dispose() => _owner.Dispose();
}

/// <summary>The Kafka protocol requests whose answers <see cref="MockKafkaCluster.FailNextRequests"/> can replace (their API keys).</summary>
public enum KafkaApi : short
{
    /// <summary>A producer's batch of messages.</summary>
    Produce = 0,

    /// <summary>A group member's heartbeat to its coordinator.</summary>
    Heartbeat = 12,
}
