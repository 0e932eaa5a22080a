using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Cpp;
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
        var options = new SimulationOptions { Cards = 2500, Days = 40, Skimmers = 3, Seed = 21, Atms = 150 };
        var events = new EventList();
        new Simulation(options).Run(events);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);

        var inProcess = await RunAsync(events, new InProcessWindowStore());
        var inRedis = await RunAsync(events, new RedisWindowStore(connection, new RedisKeys($"eq-{Guid.NewGuid():N}"), TimeSpan.FromDays(60), TimeSpan.FromDays(7)));

        Assert.NotEmpty(inProcess.Alerts);
        Assert.Equal(inProcess.Alerts, inRedis.Alerts);
        Assert.Equal(inProcess.CardsAtRisk, inRedis.CardsAtRisk);
    }

    private static async Task<Outputs> RunAsync(EventList events, IWindowStore store)
    {
        var sink = new Outputs();
        var engine = new CompromiseEngine(store, sink, new CppOptions(), AtmRegistry.Empty);
        foreach (var batch in events.Items.Chunk(500))
            await engine.ProcessBatchAsync(batch, cancellationToken: TestContext.Current.CancellationToken);
        await engine.FlushRescansAsync(DateTimeOffset.MaxValue, TestContext.Current.CancellationToken);
        return sink;
    }

    private sealed class EventList : ISimulationSink
    {
        public List<ReplayEvent> Items { get; } = [];

        public void Transaction(Transaction transaction) => Items.Add(ReplayEvent.Of(transaction));

        public void FraudReport(FraudReport report) => Items.Add(ReplayEvent.Of(report));
    }

    private sealed class Outputs : IAlertSink
    {
        public List<string> Alerts { get; } = [];
        public List<string> CardsAtRisk { get; } = [];

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
