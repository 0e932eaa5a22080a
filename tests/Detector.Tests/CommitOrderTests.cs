using Confluent.Kafka;
using SkimGuard.Simulator;
using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Detector.Tests;

/// <summary>
/// The detector reads on while a batch's Redis commit is under way, but the group's offsets must never pass a batch
/// before Redis has it: a crash in between would then skip the batch for good. Its own redis-server: the test pauses
/// Redis's writes, which would stall any other test's detector.
/// </summary>
public sealed class CommitOrderTests(KafkaFixture kafka, RedisFixture redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    [Fact]
    public async Task WhileRedisHoldsABatchsCommitNoOffsetPassesItAndOnceRedisTakesItEveryOffsetIsCommitted()
    {
        // Two days, not the shared town's forty: the store's expiry writes outside the batch's MULTI/EXEC once per event
        // day. The first half of the transactions goes in first and is committed; Redis's writes are then paused, and
        // the second half is sent, so that the next batch is certain to be caught at its commit.
        var feeds = new Feeds();
        new Simulation(new SimulationOptions { Cards = 20_000, Days = 2, Skimmers = 1, Seed = 11, Atms = 150 }).Run(feeds);
        var (firstHalf, secondHalf) = (new Feeds(), new Feeds());
        firstHalf.Transactions.AddRange(feeds.Transactions.Take(feeds.Transactions.Count / 2));
        secondHalf.Transactions.AddRange(feeds.Transactions.Skip(feeds.Transactions.Count / 2));
        secondHalf.Reports.AddRange(feeds.Reports);
        var topics = TopicSet.New();
        await firstHalf.ProduceAsync(kafka.BootstrapServers, topics);
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Server.ConnectionString},allowAdmin=true");
        var redisServer = admin.GetServer(admin.GetEndPoints()[0]);

        await using (var detector = await InProcessDetector.StartAsync(o =>
        {
            topics.Configure(o, kafka.BootstrapServers, redis.Server.ConnectionString);
            o.BatchSize = 500;
        }))
        {
            await Wait.UntilAsync(() => detector.Handled == firstHalf.Count && CommittedMessages(topics) == firstHalf.Count, TimeSpan.FromSeconds(120),
                "the first half applied and committed", () => $"{detector}; {CommittedMessages(topics)} committed");

            // Redis takes no write for 4.5 s (reads still answer): the next commit waits, and with it its batch's offsets.
            // Offsets are committed to Kafka every second, so 1.5 s after a batch is applied, any offset stored early
            // would be there to see.
            await redisServer.ExecuteAsync("CLIENT", "PAUSE", "4500", "WRITE");
            await secondHalf.ProduceAsync(kafka.BootstrapServers, topics);
            await Wait.UntilAsync(() => detector.Handled > firstHalf.Count, TimeSpan.FromSeconds(2.5), "a batch of the second half applied", () => detector.ToString());
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var appliedInRedis = await AppliedEventsAsync(redisServer, topics.Prefix);
            var committed = CommittedMessages(topics);

            Assert.True(detector.Handled > appliedInRedis, $"no batch was caught committing: {detector.Handled} applied, {appliedInRedis} in Redis");
            Assert.True(committed <= appliedInRedis, $"offsets passed {committed - appliedInRedis} events that Redis did not have yet");

            await Wait.UntilAsync(() => detector.Handled == feeds.Count && detector.CaughtUp, TimeSpan.FromSeconds(120), "every event applied", () => detector.ToString());
            await Wait.UntilAsync(() => CommittedMessages(topics) == feeds.Count, TimeSpan.FromSeconds(30), "every offset committed",
                () => $"{CommittedMessages(topics)} of {feeds.Count} committed");

            // Idle, the loop waits for messages (100 ms a poll) rather than spinning through empty batches: it reads
            // without waiting only while a commit is still under way.
            var batchesBefore = detector.Metrics.BatchSeconds.Count;
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.InRange(detector.Metrics.BatchSeconds.Count - batchesBefore, 0, 40);
        }
    }

    /// <summary>How many events the detector's Redis marks applied: what its commits have made durable.</summary>
    private static async Task<long> AppliedEventsAsync(IServer server, string keyPrefix)
    {
        long applied = 0;
        await foreach (var key in server.KeysAsync(pattern: $"{keyPrefix}:applied:*"))
            applied += await server.Multiplexer.GetDatabase().SetLengthAsync(key);
        return applied;
    }

    /// <summary>How many messages of both input topics lie before the group's committed offsets.</summary>
    private long CommittedMessages(TopicSet topics)
    {
        // Asking for a group's committed offsets does not join the group.
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = topics.Prefix }).Build();
        var partitions = new[] { topics.Transactions, topics.FraudReports }
            .SelectMany(topic => Enumerable.Range(0, 4).Select(p => new TopicPartition(topic, p)));
        return consumer.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(o => Math.Max(0, o.Offset.Value));
    }
}
