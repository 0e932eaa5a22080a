using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Detector.Tests;

/// <summary>
/// The detector end to end, on real Kafka protocol (librdkafka's mock cluster) and a real redis-server: it must find
/// what the backtest finds in the same feeds, whatever happens to it on the way.
/// </summary>
public sealed class DetectorServiceTests(KafkaFixture kafka, RedisFixture redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private void Configure(DetectorOptions options, TopicSet topics)
    {
        topics.Configure(options, kafka.BootstrapServers, redis.Server.ConnectionString);
        options.BatchSize = 500;
    }

    [Fact]
    public async Task TheSameFeedsThroughKafkaAndRedisGiveExactlyTheBacktestsAlertsAndCardsAtRisk()
    {
        var feeds = Feeds.SimulatedTown;
        var topics = TopicSet.New();
        await feeds.ProduceAsync(kafka.BootstrapServers, topics);
        var expected = await feeds.BacktestAsync();

        await using (var detector = await InProcessDetector.StartAsync(o => Configure(o, topics)))
        {
            await Wait.UntilAsync(() => detector.Handled == feeds.Count && detector.CaughtUp, Patience, "every event applied", () => detector.ToString());
            Assert.Equal(0, detector.Rejected);
            // The feeds were all in Kafka before it started, so the event-time order could release thousands at once.
            var (atMostABatch, batches) = await detector.BatchesAsync(events: 500);
            Assert.True(batches >= feeds.Count / 500.0, $"{batches} batches for {feeds.Count} events");
            Assert.Equal(batches, atMostABatch);
        }
        var actual = Outcome.Read(kafka.BootstrapServers, topics);

        Assert.Equal(3, expected.Alerts.Count);
        Assert.Equal(expected.Alerts, actual.Alerts);
        Assert.Equal(expected.CardsAtRisk.Order(), actual.CardsAtRisk.Order());
        Assert.Equal(expected.AlertMessages, actual.AlertMessages);
    }

    [Fact]
    public async Task ADetectorKilledHardThreeTimesMidStreamEndsWithTheUninterruptedResultAndNoDuplicateAlert()
    {
        // It scores with the default model, so the fraud features' windows in Redis go through the kills too, and the
        // model's version must be on every alert.
        var feeds = Feeds.SimulatedTown;
        var topics = TopicSet.New();
        await feeds.ProduceAsync(kafka.BootstrapServers, topics);
        var expected = await feeds.BacktestAsync(Feeds.DefaultModel);
        var settings = topics.Environment().Concat(
        [
            ("Detector__BootstrapServers", kafka.BootstrapServers), ("Detector__GroupId", topics.Prefix), ("Detector__Redis", redis.Server.ConnectionString),
            ("Detector__RedisKeyPrefix", topics.Prefix), ("Detector__SessionTimeoutMs", "6000"), ("Detector__BatchSize", "300"),
            ("Detector__ModelPath", Feeds.DefaultModel),
            // The town's 40 days pass in seconds, so the second of offsets not yet committed at a kill spans days of
            // event time: applied-event keys must outlive that (in real time a second is a second). See docs/detector.md.
            ("Detector__Engine__DedupeWindow", "60.00:00:00"),
        ]).ToList();

        // Each run is killed once it has applied a tenth of the events anew: somewhere inside a batch, before or after
        // its commit, with up to a second of applied batches not yet committed to Kafka. A run slow to be killed (a busy
        // machine) can apply much more than that, so a run that reaches the end is killed there instead of waited on.
        var reread = 0.0;
        for (var kill = 0; kill < 3; kill++)
        {
            using var doomed = DetectorProcess.Start(settings);
            await Wait.UntilAsync(async () => await doomed.MetricAsync("skimguard_detector_processed_total") >= feeds.Count / 10
                || await doomed.MetricAsync("skimguard_detector_caught_up") == 1, Patience, $"run {kill + 1} to make progress", () => doomed.Output);
            reread += await doomed.MetricAsync("skimguard_detector_duplicates_total");
            doomed.Kill();
        }
        using (var last = DetectorProcess.Start(settings))
        {
            // Caught up with all eight partitions: the group may hand a replica one topic before the other.
            await Wait.UntilAsync(async () => await last.MetricAsync("skimguard_detector_caught_up") == 1 && await last.MetricAsync("skimguard_detector_assigned_partitions") == 8
                && await last.HandledAsync() > 0, Patience, "the last run to catch up", () => last.Output);
            reread += await last.MetricAsync("skimguard_detector_duplicates_total");
        }
        // Offsets are committed every second, so the runs after a kill read again events applied before it.
        Assert.True(reread > 0, "no run re-read an event applied before a kill: the test did not exercise a replay");
        var actual = Outcome.Read(kafka.BootstrapServers, topics);

        var version = Models.FraudModel.Load(Feeds.DefaultModel).Version;
        Assert.All(actual.Alerts.Values, json => Assert.Contains($"\"model_version\":\"{version}\"", json, StringComparison.Ordinal));
        Assert.Equal(expected.Alerts.Keys.Order(), actual.Alerts.Keys.Order());
        foreach (var (alertId, json) in expected.Alerts)
            Assert.True(json == actual.Alerts[alertId], $"alert {alertId}\nexpected {json}\nactual   {actual.Alerts[alertId]}");
        Assert.Equal(expected.CardsAtRisk.Order(), actual.CardsAtRisk.Order());
    }

    [Fact]
    public async Task AModelFileReplacedMidStreamIsTakenUpWithoutARestartOrALostMessage()
    {
        var feeds = Feeds.SimulatedTown;
        var topics = TopicSet.New();
        var modelPath = Path.Combine(Path.GetTempPath(), $"{topics.Prefix}-model.zip");
        File.Copy(Feeds.DefaultModel, modelPath);
        var before = Models.FraudModel.Load(modelPath).Version;
        // The same trees in a file that differs (its metadata's training time): a new version that must score alike.
        var replacement = modelPath + ".next";
        File.Copy(Feeds.DefaultModel, replacement);
        RewriteTrainedAt(replacement);
        await feeds.ProduceAsync(kafka.BootstrapServers, topics);
        var expected = await feeds.BacktestAsync(Feeds.DefaultModel);

        string after;
        await using (var detector = await InProcessDetector.StartAsync(o =>
        {
            Configure(o, topics);
            o.ModelPath = modelPath;
            o.ModelPollSeconds = 1;
        }))
        {
            Assert.Equal(1, detector.Metrics.Model.WithLabels(before).Value);
            await Wait.UntilAsync(() => detector.Handled >= feeds.Count / 3, Patience, "a third of the events", () => detector.ToString());
            File.Move(replacement, modelPath, overwrite: true);
            after = Models.FraudModel.Load(modelPath).Version;
            await Wait.UntilAsync(() => detector.Metrics.Model.WithLabels(after).Value == 1, Patience, "the new model", () => detector.ToString());
            await Wait.UntilAsync(() => detector.Handled == feeds.Count && detector.CaughtUp, Patience, "every event applied", () => detector.ToString());
            Assert.Equal(0, detector.Metrics.Model.WithLabels(before).Value);
            Assert.Equal(0, detector.Rejected);
        }
        File.Delete(modelPath);
        var actual = Outcome.Read(kafka.BootstrapServers, topics);

        Assert.NotEqual(before, after);
        Assert.Equal(expected.Alerts.Keys.Order(), actual.Alerts.Keys.Order());
        Assert.Equal(expected.CardsAtRisk.Order(), actual.CardsAtRisk.Order());
    }

    private static void RewriteTrainedAt(string path)
    {
        using var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update);
        var entry = zip.GetEntry(Models.FraudModel.MetadataEntry)!;
        string json;
        using (var reader = new StreamReader(entry.Open()))
            json = reader.ReadToEnd();
        entry.Delete();
        using var writer = new StreamWriter(zip.CreateEntry(Models.FraudModel.MetadataEntry).Open());
        writer.Write(System.Text.RegularExpressions.Regex.Replace(json, "\"trained_at\": \"[^\"]*\"", "\"trained_at\": \"2026-01-01T00:00:00+00:00\""));
    }

    [Fact]
    public async Task TwoDetectorsInOneGroupSplitThePartitionsAndFlagTheSameTerminals()
    {
        var feeds = Feeds.SimulatedTown;
        var topics = TopicSet.New();
        await feeds.ProduceAsync(kafka.BootstrapServers, topics);
        var expected = await feeds.BacktestAsync();

        await using (var first = await InProcessDetector.StartAsync(o => Configure(o, topics)))
        {
            // The first holds every partition for a while, then gives half to the second: a rebalance mid-stream.
            await Wait.UntilAsync(() => first.Readiness.AssignedPartitions == 8 && first.Metrics.ConsumerLag.GetAllLabelValues().Count() == 8, Patience, "the first to hold and measure every partition", () => $"{first}");
            await using var second = await InProcessDetector.StartAsync(o => Configure(o, topics));
            await Wait.UntilAsync(() => first.Readiness.AssignedPartitions > 0 && second.Readiness.AssignedPartitions > 0, Patience, "both to hold partitions", () => $"{first} / {second}");
            await Wait.UntilAsync(() => first.Handled + second.Handled >= feeds.Count && first.CaughtUp && second.CaughtUp, Patience, "every event applied", () => $"{first} / {second}");
            Assert.Equal(8, first.Readiness.AssignedPartitions + second.Readiness.AssignedPartitions);
            // Each replica reports the partitions it holds and none it gave away, so the group's series add up to the
            // group's real lag: its committed offsets against the partitions' ends (none left, once caught up and committed).
            await Wait.UntilAsync(() => LagSeries(first) == first.Readiness.AssignedPartitions && LagSeries(second) == second.Readiness.AssignedPartitions
                    && GroupLag(topics) == 0 && Lag(first) + Lag(second) == 0,
                Patience, "a lag series for each held partition, adding up to the group's lag", () => $"{LagSeries(first)} / {LagSeries(second)} series, {Lag(first) + Lag(second)} reported, {GroupLag(topics)} real");
        }
        var actual = Outcome.Read(kafka.BootstrapServers, topics);

        // Two replicas apply the town's events in two interleavings, so an alert may be first raised a rescan earlier or
        // later; what they find must not differ.
        Assert.Equal(TerminalsOf(expected), TerminalsOf(actual));
    }

    /// <summary>The detector group's lag as Kafka has it: each partition's end less the group's committed offset.</summary>
    private long GroupLag(TopicSet topics)
    {
        using var reader = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = topics.Prefix }).Build();
        var partitions = new[] { topics.Transactions, topics.FraudReports }
            .SelectMany(topic => Enumerable.Range(0, 4).Select(p => new Confluent.Kafka.TopicPartition(topic, p))).ToList();
        return reader.Committed(partitions, TimeSpan.FromSeconds(5)).Sum(committed =>
            reader.QueryWatermarkOffsets(committed.TopicPartition, TimeSpan.FromSeconds(5)).High.Value - Math.Max(0, committed.Offset.Value));
    }

    private static int LagSeries(InProcessDetector detector) => detector.Metrics.ConsumerLag.GetAllLabelValues().Count();

    private static double Lag(InProcessDetector detector) =>
        detector.Metrics.ConsumerLag.GetAllLabelValues().Sum(labels => detector.Metrics.ConsumerLag.WithLabels(labels).Value);

    private static IEnumerable<string> TerminalsOf(Outcome outcome) =>
        outcome.Alerts.Values.Select(json => System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("terminal_id").GetString()!).Distinct().Order();
}
