using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Replay;
using SkimGuard.Engine.Windows;
using SkimGuard.Simulator;
using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Detector.Tests;

/// <summary>The engine over the Redis store raises exactly what it raises over the in-process store.</summary>
public sealed class StoreEquivalenceTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task ASimulatedWorldGivesTheSameAlertsAndCardsAtRiskOnBothStores()
    {
        // A town large enough that its skimmers can be told from chance (at 2,500 cards not even the oracle flags them,
        // and the engine, rightly, raised nothing to compare).
        var options = new SimulationOptions { Cards = 4000, Days = 40, Skimmers = 3, Seed = 21, Atms = 150 };
        var events = SimulationRecords.Of(options);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);

        var inProcess = await RunAsync(events, new InProcessWindowStore());
        var inRedis = await RunAsync(events, new RedisWindowStore(connection, new RedisKeys($"eq-{Guid.NewGuid():N}"), TimeSpan.FromDays(60), TimeSpan.FromDays(7)));

        Assert.NotEmpty(inProcess.Alerts);
        Assert.Equal(inProcess.Alerts, inRedis.Alerts);
        Assert.Equal(inProcess.CardsAtRisk, inRedis.CardsAtRisk);
    }

    [Fact]
    public async Task TheRealisticMixWithTheHubRuleGivesTheSameAlertsAndHoldsOnBothStores()
    {
        // Echoes, a hub, trickled cash-outs, late and missing reports: every rule of the engine at work, the hub rule too.
        var options = ScenarioPresets.Apply(new SimulationOptions { Cards = 5000, Days = 45, Skimmers = 3, Seed = 31, Atms = 150, CashoutRate = 0.9 }, "realistic");
        var events = SimulationRecords.Of(options);
        var engine = new CppOptions { ExplainByConcentration = true };
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);

        var inProcess = await RunAsync(events, new InProcessWindowStore(), engine: engine);
        var inRedis = await RunAsync(events, new RedisWindowStore(connection, new RedisKeys($"req-{Guid.NewGuid():N}"), TimeSpan.FromDays(60), TimeSpan.FromDays(7)), engine: engine);

        Assert.NotEmpty(inProcess.Alerts);
        Assert.NotEmpty(inProcess.Held);
        Assert.Equal(inProcess.Alerts, inRedis.Alerts);
        Assert.Equal(inProcess.Held, inRedis.Held);
        Assert.Equal(inProcess.CardsAtRisk, inRedis.CardsAtRisk);
    }

    [Fact]
    public async Task FraudFeaturesKeptInRedisAreTheInProcessFeaturesForEveryTransaction()
    {
        var options = new SimulationOptions { Cards = 2000, Days = 40, Skimmers = 3, Seed = 23, Atms = 150 };
        var events = SimulationRecords.Of(options);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);

        var inProcessModel = new RecordingModel();
        var inProcess = await RunAsync(events, new InProcessWindowStore(), new FraudScoring(() => inProcessModel));
        var redisModel = new RecordingModel();
        var inRedis = await RunAsync(events, new RedisWindowStore(connection, new RedisKeys($"feq-{Guid.NewGuid():N}"), TimeSpan.FromDays(60), TimeSpan.FromDays(7)),
            new FraudScoring(() => redisModel));

        Assert.Equal(events.Transactions.Count, inProcessModel.Vectors.Count);
        Assert.Equal(inProcessModel.Vectors.Count, redisModel.Vectors.Count);
        foreach (var (call, vector) in inProcessModel.Vectors)
            Assert.True(vector.SequenceEqual(redisModel.Vectors[call]), $"transaction #{call} scored: " + string.Join(", ",
                Enumerable.Range(0, vector.Length).Where(i => vector[i] != redisModel.Vectors[call][i]).Select(i => $"{FeatureSchema.Names[i]} {vector[i]} in process, {redisModel.Vectors[call][i]} in Redis")));
        // The model's marks (big card-present amounts) feed the engine the same way on both stores.
        Assert.NotEmpty(inProcess.Alerts);
        Assert.Equal(inProcess.Alerts, inRedis.Alerts);
        Assert.Equal(inProcess.CardsAtRisk, inRedis.CardsAtRisk);
    }

    private static async Task<Outputs> RunAsync(SimulationRecords events, IWindowStore store, FraudScoring? scoring = null, CppOptions? engine = null)
    {
        var sink = new Outputs();
        var compromise = new CompromiseEngine(store, sink, engine ?? new CppOptions(), AtmRegistry.Empty, scoring);
        compromise.HeldBack += held => sink.Held.Add($"{held.TerminalId} {held.At:O} {held.Reason} {held.PValue:R} {string.Join(',', held.ExplainedBy)}");
        foreach (var batch in events.Events.Chunk(500))
            await compromise.ProcessBatchAsync(batch, cancellationToken: TestContext.Current.CancellationToken);
        await compromise.FlushRescansAsync(DateTimeOffset.MaxValue, TestContext.Current.CancellationToken);
        return sink;
    }

    /// <summary>Keeps every feature vector it is asked to score, by call number, and calls a large amount fraud so that model marks happen.</summary>
    private sealed class RecordingModel : ITransactionScorer
    {
        private static readonly int Amount = FeatureSchema.Names.ToList().IndexOf("amount");

        public Dictionary<string, float[]> Vectors { get; } = new(StringComparer.Ordinal);
        public string Version => "recording";
        private int _count;

        public float Score(ReadOnlySpan<float> features)
        {
            Vectors[$"{_count++}"] = features.ToArray();
            return features[Amount] > 15_000 ? 0.95f : 0.01f;
        }
    }

    private sealed class Outputs : IAlertSink
    {
        public List<string> Alerts { get; } = [];
        public List<string> CardsAtRisk { get; } = [];
        public List<string> Held { get; } = [];

        public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken)
        {
            Alerts.Add(JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert));
            return ValueTask.CompletedTask;
        }

        public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken)
        {
            CardsAtRisk.Add(JsonSerializer.Serialize(cardsAtRisk, ContractsJsonContext.Default.CardsAtRisk));
            return ValueTask.CompletedTask;
        }
    }
}
