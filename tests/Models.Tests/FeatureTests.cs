using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Replay;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Models.Tests;

/// <summary>Features are point in time, and the same whether computed for training or live in the engine.</summary>
public sealed class FeatureTests(World world) : IClassFixture<World>
{
    [Fact]
    public void AFeatureNeverSeesALaterEventOrAReportNotYetReceived()
    {
        var card = "ct_card";
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        Transaction Tx(string id, DateTimeOffset at, long amount) => Withdrawal(card, id, at, amount, "ATM-1");
        var history = new[] { Tx("a", t0, 100_00), Tx("b", t0.AddHours(2), 200_00) };
        var probe = Tx("probe", t0.AddDays(1), 5_000_00);
        var report = new FraudReport
        {
            ReportId = "r", BankId = "b", CardToken = card, ReportedAt = t0.AddDays(2), FraudType = FraudType.Counterfeit, FraudTxnIds = ["b"],
        };

        float[] FeaturesOfProbe(IEnumerable<ReplayEvent> events)
        {
            var windows = new FeatureWindows();
            var vector = new float[FeatureSchema.Count];
            foreach (var e in events.OrderBy(e => e.Time))
            {
                if (e.Transaction == probe)
                    windows.Extract(probe, vector);
                if (e.Transaction is { } tx)
                    windows.Observe(tx);
                else
                    windows.Observe(e.Report!);
            }
            return vector;
        }
        var alone = FeaturesOfProbe([.. history.Select(ReplayEvent.Of), ReplayEvent.Of(probe)]);
        var withLaterEvents = FeaturesOfProbe([.. history.Select(ReplayEvent.Of), ReplayEvent.Of(probe), ReplayEvent.Of(report), ReplayEvent.Of(Tx("c", t0.AddDays(3), 1_00))]);
        var reportedBefore = FeaturesOfProbe([.. history.Select(ReplayEvent.Of), ReplayEvent.Of(report with { ReportedAt = t0.AddHours(20) }), ReplayEvent.Of(probe)]);

        Assert.Equal(alone, withLaterEvents);
        Assert.Equal(2, Feature(alone, "card_txns_30d"));
        Assert.Equal(150f, Feature(alone, "card_mean_amount_30d"));
        Assert.Equal(0, Feature(alone, "card_reported_fraud"));
        Assert.Equal(0, Feature(alone, "terminal_reported_frauds_7d"));
        // The same report received before the probe does count.
        Assert.Equal(1, Feature(reportedBefore, "card_reported_fraud"));
        Assert.Equal(1, Feature(reportedBefore, "terminal_reported_frauds_7d"));
        Assert.Equal(1, Feature(reportedBefore, "cpp_max_compromised_visitors_30d"));
    }

    [Fact]
    public void AReportedFraudOrdinaryForItsCardCountsAgainstTheTerminalAndALargeOneDoesNot()
    {
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        FraudReport Report(string card, string txnId) => new()
        {
            ReportId = "r-" + txnId, BankId = "b", CardToken = card, ReportedAt = t0.AddDays(8), FraudType = FraudType.Other, FraudTxnIds = [txnId],
        };
        var windows = new FeatureWindows();
        // Two cards with the same habit (about 40.00); each is defrauded once, one at its usual amount at "T-ordinary",
        // the other at five times it at "T-large".
        foreach (var card in new[] { "ct_a", "ct_b" })
            for (var day = 0; day < 5; day++)
                windows.Observe(Withdrawal(card, $"{card}-{day}", t0.AddDays(day), 40_00 + day * 1_00, "T-home"));
        windows.Observe(Withdrawal("ct_a", "fraud-a", t0.AddDays(6), 45_00, "T-ordinary"));
        windows.Observe(Withdrawal("ct_b", "fraud-b", t0.AddDays(6), 210_00, "T-large"));
        windows.Observe(Report("ct_a", "fraud-a"));
        windows.Observe(Report("ct_b", "fraud-b"));

        float[] FeaturesAt(string terminal)
        {
            var vector = new float[FeatureSchema.Count];
            windows.Extract(Withdrawal("ct_probe", "probe-" + terminal, t0.AddDays(9), 30_00, terminal), vector);
            return vector;
        }
        var ordinary = FeaturesAt("T-ordinary");
        var large = FeaturesAt("T-large");

        Assert.Equal(1, Feature(ordinary, "terminal_reported_frauds_7d"));
        Assert.Equal(1, Feature(ordinary, "terminal_ordinary_frauds_7d"));
        Assert.Equal(1, Feature(ordinary, "terminal_ordinary_frauds_30d"));
        Assert.Equal(1, Feature(large, "terminal_reported_frauds_7d"));
        Assert.Equal(0, Feature(large, "terminal_ordinary_frauds_7d"));
        Assert.Equal(0, Feature(large, "terminal_ordinary_frauds_30d"));
    }

    [Fact]
    public async Task TheEngineScoresWithExactlyTheFeaturesTrainingComputes()
    {
        var live = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var model = FraudModel.Load(world.Save("live.zip"));
        var scoring = new FraudScoring(() => model);
        scoring.Scored += (tx, features, _) =>
        {
            if (tx.Timestamp >= World.TableFrom && tx.Timestamp < World.TableTo)
                live[tx.TxnId] = features.ToArray();
        };
        var engine = new CompromiseEngine(new InProcessWindowStore(), new NoSink(), new CppOptions(), AtmRegistry.Empty, scoring);
        foreach (var e in EventTimeMerge.Merge(world.Transactions.Select(ReplayEvent.Of), world.Reports.Select(ReplayEvent.Of)))
        {
            if (e.Transaction is { } tx)
                await engine.ProcessAsync(tx);
            else
                await engine.ProcessAsync(e.Report!);
        }

        Assert.Equal(world.Table.Count, live.Count);
        for (var row = 0; row < world.Table.Count; row++)
            Assert.Equal(world.Table.Features(row).ToArray(), live[world.Table.TxnIds[row]]);
        Assert.True(engine.Counters.Scored >= world.Table.Count);
    }

    [Fact]
    public void NoFeatureIsNotANumberAndTheVectorHasTheSchemasLength()
    {
        Assert.Equal(FeatureSchema.Count, FeatureSchema.Names.Distinct().Count());
        for (var row = 0; row < world.Table.Count; row++)
            Assert.DoesNotContain(world.Table.Features(row).ToArray(), f => !float.IsFinite(f));
    }

    private static Transaction Withdrawal(string card, string id, DateTimeOffset at, long amount, string terminal) => new()
    {
        TxnId = id, BankId = "b", CardToken = card, TerminalId = terminal, TerminalType = TerminalType.Atm, Timestamp = at, AmountMinor = amount,
        Currency = "INR", EntryMode = EntryMode.Chip, TxnType = TxnType.Withdrawal, Approved = true, Country = "IN",
    };

    private static float Feature(float[] vector, string name) => vector[FeatureSchema.Names.ToList().IndexOf(name)];

    private sealed class NoSink : IAlertSink
    {
        public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
