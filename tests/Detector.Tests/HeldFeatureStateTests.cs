using SkimGuard.Contracts;
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

/// <summary>
/// The Redis detector holds a card's fraud-feature windows in the process that consumes the card's transactions, and
/// holds terminals' windows until another replica writes them. Two replicas over one Redis, taking turns in event-time
/// order, must still score every transaction on the features one process computes.
/// </summary>
public sealed class HeldFeatureStateTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task TwoReplicasWhoseCardsMoveBetweenThemAndWhoseReportsGoElsewhereScoreEveryTransactionAsOneProcess()
    {
        var events = SimulationRecords.Of(new SimulationOptions { Cards = 500, Days = 20, Skimmers = 2, Seed = 41, Atms = 150, CashoutRate = 0.9 });
        Assert.NotEmpty(events.Reports);
        var oneProcess = new Replica(new InProcessWindowStore());
        foreach (var batch in events.Events.Chunk(500))
            await oneProcess.Engine.ProcessBatchAsync(batch, cancellationToken: TestContext.Current.CancellationToken);

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var keys = new RedisKeys($"held-{Guid.NewGuid():N}");
        Replica[] replicas = [.. Enumerable.Range(0, 2).Select(_ => new Replica(new RedisWindowStore(connection, keys, TimeSpan.FromDays(60), TimeSpan.FromDays(7))))];
        // Replica 0 consumes the transactions of nine cards in ten, except in the middle third of the stream, when their
        // partitions are with replica 1 (so replica 0 must not take up again what it held before they left). Replica 1
        // consumes the other cards' transactions and every report (so a card replica 0 holds is reported elsewhere).
        var third = events.Events.Count / 3;
        int OwnerOf(ReplayEvent e, int index) =>
            e.Report is not null || Group(e.Transaction!.CardToken) == 0 ? 1 : index >= third && index < 2 * third ? 1 : 0;
        var run = new List<ReplayEvent>();
        var runOwner = 0;
        for (var i = 0; i < events.Events.Count; i++)
        {
            var owner = OwnerOf(events.Events[i], i);
            if (run.Count > 0 && (owner != runOwner || run.Count == 500 || i == third || i == 2 * third))
            {
                await replicas[runOwner].Engine.ProcessBatchAsync(run, cancellationToken: TestContext.Current.CancellationToken);
                run.Clear();
            }
            if (i == third || i == 2 * third)
                foreach (var replica in replicas)
                    replica.Scoring.ForgetHeldCards(); // what the detector does when its partitions change
            run.Add(events.Events[i]);
            runOwner = owner;
        }
        await replicas[runOwner].Engine.ProcessBatchAsync(run, cancellationToken: TestContext.Current.CancellationToken);

        var scored = replicas.SelectMany(r => r.Vectors).ToDictionary();
        Assert.Equal(events.Transactions.Count, oneProcess.Vectors.Count);
        Assert.Equal(oneProcess.Vectors.Keys.Order(), scored.Keys.Order());
        Assert.All(oneProcess.Vectors, expected => Assert.True(expected.Value.SequenceEqual(scored[expected.Key]), $"{expected.Key}: " + string.Join(", ",
            Enumerable.Range(0, FeatureSchema.Count).Where(i => expected.Value[i] != scored[expected.Key][i])
                .Select(i => $"{FeatureSchema.Names[i]} {expected.Value[i]} in one process, {scored[expected.Key][i]} on two replicas"))));
        Assert.All(replicas, r => Assert.True(r.Vectors.Count > 1000, "both replicas scored"));
    }

    [Fact]
    public async Task ACardHeldByOneReplicaAndReportedThroughTheOtherScoresAsReportedAtItsNextTransaction()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var keys = new RedisKeys($"held-{Guid.NewGuid():N}");
        var (owner, other) = (new Replica(Store(connection, keys)), new Replica(Store(connection, keys)));
        var ct = TestContext.Current.CancellationToken;
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        Transaction Visit(string txnId, DateTimeOffset time) => new()
        {
            TxnId = txnId, BankId = "sbi", CardToken = "c1", TerminalId = "ATM-1", TerminalType = TerminalType.Atm, Timestamp = time,
            AmountMinor = 200_000, Currency = "INR", EntryMode = EntryMode.Chip, TxnType = TxnType.Withdrawal, Approved = true,
            Country = "IN", Lat = 19.3, Lon = 72.85,
        };
        var report = new FraudReport
        {
            ReportId = "r1", BankId = "sbi", CardToken = "c1", ReportedAt = at.AddDays(2), FraudType = FraudType.Counterfeit, FirstFraudAt = at.AddDays(1),
        };

        await owner.Engine.ProcessBatchAsync([ReplayEvent.Of(Visit("t1", at))], cancellationToken: ct); // the owner now holds c1
        await other.Engine.ProcessBatchAsync([ReplayEvent.Of(report)], cancellationToken: ct);
        await owner.Engine.ProcessBatchAsync([ReplayEvent.Of(Visit("t2", at.AddDays(3)))], cancellationToken: ct);

        var reported = FeatureSchema.Names.ToList().IndexOf("card_reported_fraud");
        Assert.Equal(0, owner.Vectors["c1/t1"][reported]);
        Assert.Equal(1, owner.Vectors["c1/t2"][reported]);
    }

    [Fact]
    public async Task ATerminalIsReadAgainOnlyWhenAnotherReplicaWroteItBetweenThisOnesReadAndItsCommit()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var keys = new RedisKeys($"held-{Guid.NewGuid():N}");
        var (mine, other) = (Store(connection, keys), Store(connection, keys));
        var now = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var day = EventDay.Of(now);
        var ct = TestContext.Current.CancellationToken;
        async Task CountOneAsync(RedisWindowStore store)
        {
            var changes = new FeatureChanges();
            changes.TerminalCounts.Add(("ATM-1", TerminalCount.Transactions, day));
            store.SaveFeatureChanges(changes);
            await store.CommitBatchAsync(ct);
        }

        Assert.Equal([null], (await mine.GetFeatureTerminalsAsync(["ATM-1"], now, ct)).Values); // nothing kept yet
        await CountOneAsync(mine);
        Assert.Empty(await mine.GetFeatureTerminalsAsync(["ATM-1"], now, ct)); // held as Redis has it: not read again

        await other.GetFeatureTerminalsAsync(["ATM-1"], now, ct);
        await CountOneAsync(other); // lands between mine's read above and its next commit
        await CountOneAsync(mine);
        var reread = await mine.GetFeatureTerminalsAsync(["ATM-1"], now, ct);
        Assert.Equal([(TerminalCount.Transactions, day, 3)], reread["ATM-1"]!.Counts);
        Assert.Empty(await mine.GetFeatureTerminalsAsync(["ATM-1"], now, ct));
        Assert.Single(await mine.GetFeatureTerminalsAsync(["ATM-1"], now.AddDays(1), ct)); // and once an event day
    }

    [Fact]
    public async Task AFirstReportCommittedByAnyReplicaIsAnnouncedToTheOthersOnce()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var keys = new RedisKeys($"held-{Guid.NewGuid():N}");
        var (mine, other) = (Store(connection, keys), Store(connection, keys));
        var ct = TestContext.Current.CancellationToken;
        var changes = new FeatureChanges();
        changes.Reported["c-early"] = DateTimeOffset.UnixEpoch;
        other.SaveFeatureChanges(changes);
        await other.CommitBatchAsync(ct);

        Assert.Empty(await mine.TakeCardsReportedAsync(ct)); // the first call starts the count: c-early was read with the card
        changes = new FeatureChanges();
        changes.Reported["c-late"] = DateTimeOffset.UnixEpoch;
        other.SaveFeatureChanges(changes);
        await other.CommitBatchAsync(ct);

        Assert.Equal(["c-late"], await mine.TakeCardsReportedAsync(ct));
        Assert.Empty(await mine.TakeCardsReportedAsync(ct));
    }

    [Fact]
    public async Task ACardsWeeksWrittenByItsOwnerAndAReportWrittenByAnotherReplicaAreReadBackAsOneCard()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var keys = new RedisKeys($"held-{Guid.NewGuid():N}");
        var (owner, other) = (Store(connection, keys), Store(connection, keys));
        var ct = TestContext.Current.CancellationToken;
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        FeatureTransaction Visit(DateTimeOffset time, int seq) => new(time.UtcTicks, 1500, "ATM-1", $"t{seq}", true, seq == 2, false, 19.3, double.NaN, seq);
        // Three transactions over two weeks, the last two at the same instant (their order is kept by sequence).
        FeatureTransaction[] transactions = [Visit(at, 0), Visit(at.AddDays(10), 1), Visit(at.AddDays(10), 2)];
        foreach (var added in new[] { transactions[..1], transactions[1..] })
        {
            var changes = new FeatureChanges();
            var card = changes.Card("c1");
            card.Added.AddRange(added);
            card.HomeCountry = "IN";
            card.Transactions = transactions[..(transactions.Length - (added.Length == 1 ? 2 : 0))];
            owner.SaveFeatureChanges(changes);
            await owner.CommitBatchAsync(ct);
        }
        var report = new FeatureChanges();
        report.Reported["c1"] = at.AddDays(11);
        other.SaveFeatureChanges(report);
        await other.CommitBatchAsync(ct);

        var read = (await Store(connection, keys).GetFeatureCardsAsync(["c1", "never-seen"], at.AddDays(12), ct)).Single();
        Assert.Equal("c1", read.Key);
        Assert.Equal("IN", read.Value.HomeCountry);
        Assert.Equal(at.AddDays(11), read.Value.ReportedAt);
        Assert.Equal(transactions, read.Value.Transactions.OrderBy(t => t.Ticks).ThenBy(t => t.Seq));
        Assert.Empty(await Store(connection, keys).GetFeatureCardsAsync(["c1"], at.AddDays(70), ct)); // past the retention
    }

    private static RedisWindowStore Store(ConnectionMultiplexer connection, RedisKeys keys) => new(connection, keys, TimeSpan.FromDays(60), TimeSpan.FromDays(7));

    /// <summary>A card's group, the same in every run: one card in ten is in group 0.</summary>
    private static int Group(string cardToken) => (cardToken.Aggregate(17, (hash, c) => unchecked(hash * 31 + c)) & 0x7fffffff) % 10;

    /// <summary>An engine with fraud scoring over a store, keeping the feature vector of every transaction it scores.</summary>
    private sealed class Replica
    {
        public Replica(IWindowStore store)
        {
            Scoring = new FraudScoring(() => Model.Instance);
            Scoring.Scored += (tx, features, _) => Vectors[$"{tx.CardToken}/{tx.TxnId}"] = features.ToArray();
            Engine = new CompromiseEngine(store, new NoSink(), new CppOptions(), AtmRegistry.Empty, Scoring);
        }

        public FraudScoring Scoring { get; }
        public CompromiseEngine Engine { get; }
        public Dictionary<string, float[]> Vectors { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Calls a large amount fraud, so that the model's marks reach the engine as they would.</summary>
    private sealed class Model : ITransactionScorer
    {
        public static readonly Model Instance = new();
        private static readonly int Amount = FeatureSchema.Names.ToList().IndexOf("amount");

        public string Version => "test";

        public float Score(ReadOnlySpan<float> features) => features[Amount] > 15_000 ? 0.95f : 0.01f;
    }

    private sealed class NoSink : IAlertSink
    {
        public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
