using SkimGuard.TestSupport;

namespace SkimGuard.Detector.Tests;

/// <summary>Redis restarted under a running detector (its own redis-server: the restart must not touch other tests).</summary>
public sealed class RedisRestartTests(KafkaFixture kafka, RedisFixture redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    [Fact]
    public async Task RedisKilledForThreeSecondsMidRunWithAofLosesNothingAndTheRunEndsWithTheBacktestsResult()
    {
        var feeds = Feeds.SimulatedTown;
        var topics = TopicSet.New();
        await feeds.ProduceAsync(kafka.BootstrapServers, topics);
        var expected = await feeds.BacktestAsync();

        await using (var detector = await InProcessDetector.StartAsync(o =>
        {
            // Commands wait at most a second: a three-second outage then fails a batch for certain, rather than being
            // ridden out by StackExchange.Redis's backlog (which is also correct, but would not test the failure path).
            topics.Configure(o, kafka.BootstrapServers, $"{redis.Server.ConnectionString},asyncTimeout=1000,syncTimeout=1000");
            o.BatchSize = 300;
            o.MaxRetryBackoffMs = 500;
        }))
        {
            await Wait.UntilAsync(() => detector.Handled >= feeds.Count / 3, TimeSpan.FromSeconds(120), "a third of the events", () => detector.ToString());
            await redis.Server.RestartAsync(downFor: TimeSpan.FromSeconds(3));
            await Wait.UntilAsync(() => detector.Handled >= feeds.Count && detector.CaughtUp, TimeSpan.FromSeconds(120), "every event applied", () => detector.ToString());
            Assert.True(detector.Metrics.Failures.Value > 0, "the restart was felt: at least one batch failed and was read again");
        }
        var actual = Outcome.Read(kafka.BootstrapServers, topics);

        Assert.Equal(expected.Alerts, actual.Alerts);
        Assert.Equal(expected.CardsAtRisk.Order(), actual.CardsAtRisk.Order());
    }
}
