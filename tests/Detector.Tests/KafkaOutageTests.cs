using SkimGuard.Kafka.Mock;
using SkimGuard.TestSupport;

namespace SkimGuard.Detector.Tests;

/// <summary>Kafka's broker down for a while under a running detector (a cluster of this test's own).</summary>
public sealed class KafkaOutageTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task TheBrokerDownForFourSecondsMidRunLosesAndDoublesNothing()
    {
        using var cluster = MockKafkaCluster.Start();
        var feeds = Feeds.SimulatedTown;
        var topics = TopicSet.New();
        await feeds.ProduceAsync(cluster.BootstrapServers, topics);
        var expected = await feeds.BacktestAsync();

        await using (var detector = await InProcessDetector.StartAsync(o =>
        {
            topics.Configure(o, cluster.BootstrapServers, redis.Server.ConnectionString);
            o.BatchSize = 300;
            o.MaxRetryBackoffMs = 500;
        }))
        {
            await Wait.UntilAsync(() => detector.Handled >= feeds.Count / 3, TimeSpan.FromSeconds(120), "a third of the events", () => detector.ToString());
            cluster.SetBrokerUp(false);
            await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
            cluster.SetBrokerUp(true);
            await Wait.UntilAsync(() => detector.Handled >= feeds.Count && detector.CaughtUp, TimeSpan.FromSeconds(120), "every event applied", () => detector.ToString());
        }
        var actual = Outcome.Read(cluster.BootstrapServers, topics);

        Assert.Equal(expected.Alerts, actual.Alerts);
        Assert.Equal(expected.CardsAtRisk.Order(), actual.CardsAtRisk.Order());
    }
}
