using SkimGuard.Contracts;
using SkimGuard.TestSupport;

namespace SkimGuard.Detector.Tests;

public sealed class DetectorHostTests(KafkaFixture kafka, RedisFixture redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    [Fact]
    public void BadSettingsStopTheServiceAtStartNamingEachOne()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => DetectorApp.Build([], o =>
        {
            o.BootstrapServers = "";
            o.BatchSize = 0;
            o.Store = "postgres";
            o.AlertsTopic = "alerts with spaces";
            o.Engine = o.Engine with { AlertAlpha = 3 };
        }));

        Assert.Contains(error.Problems, p => p.StartsWith("Detector:BootstrapServers", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Detector:BatchSize", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Detector:Store", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Detector:AlertsTopic", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Detector:Engine:AlertAlpha", StringComparison.Ordinal));
    }

    [Fact]
    public void SettingsComeFromTheEnvironmentStyleConfiguration()
    {
        var app = DetectorApp.Build(["--Detector:BatchSize", "123", "--Detector:Engine:MinCompromised", "4", "--Detector:Store", "memory"]);
        var options = (DetectorOptions)app.Services.GetService(typeof(DetectorOptions))!;

        Assert.Equal(123, options.BatchSize);
        Assert.Equal(4, options.Engine.MinCompromised);
        Assert.Equal("memory", options.Store);
    }

    [Fact]
    public async Task ReadyOncePartitionsAreAssignedAndRedisAnswersAndMetricsAreServed()
    {
        var topics = TopicSet.New();
        await Feeds.SimulatedTown.ProduceAsync(kafka.BootstrapServers, topics); // the topics must exist to be assigned
        await using var detector = await InProcessDetector.StartAsync(o => topics.Configure(o, kafka.BootstrapServers, redis.Server.ConnectionString));
        using var http = new HttpClient { BaseAddress = detector.BaseAddress };

        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health/live", TestContext.Current.CancellationToken)).StatusCode);
        await Wait.UntilAsync(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "ready");
        await Wait.UntilAsync(() => detector.CaughtUp, TimeSpan.FromSeconds(120), "caught up", () => detector.ToString());
        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        foreach (var name in new[] { "skimguard_detector_consumed_total", "skimguard_detector_processed_total", "skimguard_detector_batch_seconds",
                     "skimguard_detector_event_latency_seconds", "skimguard_detector_consumer_lag", "skimguard_detector_alerts_total", "skimguard_detector_redis_seconds" })
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        Assert.Contains("status=\"raised\"", metrics, StringComparison.Ordinal);
    }
}
