using SkimGuard.Contracts;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Simulator.Tests;

/// <summary>Each scenario family puts into the world what it says, and leaves the original world alone when off.</summary>
public sealed class ScenarioFamilyTests
{
    private static readonly SimulationOptions Small = new() { Cards = 3000, Days = 40, Skimmers = 4, Seed = 5, CashoutRate = 0.9 };

    private sealed class Collected : ISimulationSink
    {
        public List<Transaction> Transactions { get; } = [];
        public List<FraudReport> Reports { get; } = [];
        public void Transaction(Transaction transaction) => Transactions.Add(transaction);
        public void FraudReport(FraudReport report) => Reports.Add(report);
    }

    private static (Collected Feed, GroundTruth Truth) Run(string family, SimulationOptions? options = null)
    {
        var feed = new Collected();
        var truth = new Simulation(ScenarioPresets.Apply(options ?? Small, family)).Run(feed);
        return (feed, truth);
    }

    [Fact]
    public void PartialCoverageSendsNothingOfTheOtherBanks()
    {
        var (feed, truth) = Run("partial-coverage");

        Assert.InRange(truth.PartnerBanks.Count, 1, 7);
        Assert.All(feed.Transactions, t => Assert.Contains(t.BankId, truth.PartnerBanks));
        Assert.All(feed.Reports, r => Assert.Contains(r.BankId, truth.PartnerBanks));
        Assert.Contains(truth.Skimmers.SelectMany(s => s.CapturedCards), c => !truth.PartnerBanks.Contains(c.BankId)); // skimmed all the same
    }

    [Fact]
    public void UnlistedCashoutsHappenAtAtmsWithoutCoordinatesOutsideTheRegistry()
    {
        var (feed, truth) = Run("unlisted-cashout");
        var frauds = truth.Skimmers.SelectMany(s => s.CapturedCards).SelectMany(c => c.Frauds).Select(f => f.TxnId).ToHashSet();

        var unlisted = feed.Transactions.Where(t => frauds.Contains(t.TxnId) && t.TerminalId.StartsWith("ATM-NP-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(unlisted);
        Assert.All(unlisted, t => Assert.True(t.Lat is null && t.Lon is null && t.Country == "IN"));
    }

    [Fact]
    public void AnUnobservedCompromisePointCapturesItsNeighbourhoodsCardsWithNoTerminalInTheFeed()
    {
        var (feed, truth) = Run("unobserved");

        var point = Assert.Single(truth.UnobservedCompromises.Take(1));
        Assert.Equal("unobserved", point.Kind);
        Assert.True(point.CapturedCards.Count >= 10, $"{point.CapturedCards.Count} cards captured");
        Assert.DoesNotContain(feed.Transactions, t => t.TerminalId == point.TerminalId);
    }

    [Fact]
    public void AHubIsUsedByTheNeighbourhoodOfTwoSkimmersActiveInTheSameWeeks()
    {
        var (feed, truth) = Run("hub");

        var hub = Assert.Single(truth.HubTerminals);
        Assert.True(feed.Transactions.Count(t => t.TerminalId == hub) > 500);
        var (first, second) = (truth.Skimmers[0], truth.Skimmers[1]);
        Assert.Equal(first.Locality, second.Locality);
        Assert.True(second.From - first.From <= TimeSpan.FromDays(4) && second.From >= first.From);
    }

    [Fact]
    public void PosSkimmersCaptureCardsAtShops()
    {
        var (_, truth) = Run("pos-skimmers");

        var shimmers = truth.Skimmers.Where(s => s.Kind == "pos").ToList();
        Assert.Equal(2, shimmers.Count);
        Assert.All(shimmers, s => Assert.StartsWith("POS-MB-", s.TerminalId, StringComparison.Ordinal));
        Assert.Contains(shimmers, s => s.CapturedCards.Count > 0);
    }

    [Fact]
    public void ReportingDelaysSpreadFromHoursToWeeksAndSomeNameAWrongFirstFraudDay()
    {
        var (feed, truth) = Run("reporting");
        var firstFraud = truth.Skimmers.SelectMany(s => s.CapturedCards).Where(c => c.FirstFraudAt is not null).ToDictionary(c => c.CardToken, c => c.FirstFraudAt!.Value);

        var skimmingReports = feed.Reports.Where(r => firstFraud.ContainsKey(r.CardToken)).ToList();
        var delays = skimmingReports.Select(r => (r.ReportedAt - firstFraud[r.CardToken]).TotalDays).ToList();
        Assert.Contains(delays, d => d < 1);
        Assert.Contains(delays, d => d > 10);
        Assert.Contains(skimmingReports, r => r.FirstFraudAt != firstFraud[r.CardToken]);
        Assert.All(skimmingReports, r => Assert.True(r.FirstFraudAt <= r.ReportedAt));
    }

    [Fact]
    public void TrickledClonesAreCashedOutWeeksAfterTheSkimmerIsGone()
    {
        var (_, truth) = Run("trickle");

        var lags = truth.Skimmers.SelectMany(s => s.CapturedCards.Where(c => c.FirstFraudAt is not null).Select(c => (c.FirstFraudAt!.Value - c.CapturedAt).TotalDays)).ToList();
        Assert.Contains(lags, d => d > 20);
        Assert.Contains(lags, d => d < 5);
    }

    [Fact]
    public void WithEveryFamilyOffTheOriginalWorldIsUnchanged()
    {
        var (plain, _) = Run("baseline");
        var (explicitlyOff, _) = Run("baseline", Small with { TrickleShare = 0, UnlistedCashoutShare = 0, UnobservedSkimmers = 0, Hubs = 0, PartnerShare = 1, PosSkimmers = 0 });

        Assert.Equal(plain.Transactions, explicitlyOff.Transactions);
        Assert.Equal(plain.Reports.Select(r => r.ReportId), explicitlyOff.Reports.Select(r => r.ReportId));
    }

    [Fact]
    public void TheRealisticMixIsValidAndTheSameForTheSameSeed()
    {
        var (first, _) = Run("realistic");
        var (second, _) = Run("realistic");

        Assert.Equal(first.Transactions, second.Transactions);
        var context = new Contracts.Validation.ReadContext { Clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Small.End.AddDays(1)) };
        Assert.All(first.Transactions.Take(20_000), t =>
            Assert.True(Contracts.Validation.TransactionReader.Read(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(t, Contracts.Json.ContractsJsonContext.Default.Transaction), context).IsValid));
    }
}

/// <summary>The oracle's statistics against values computed by hand.</summary>
public sealed class DetectionOracleTests
{
    [Theory]
    [InlineData(1, 0.5, 0.39346934028736658)]    // 1 - e^-0.5
    [InlineData(2, 0.001, 4.9966679163334e-7)]   // 1 - e^-λ (1 + λ) = λ²/2 - λ³/3 + λ⁴/8 - ...
    [InlineData(3, 2.0, 0.32332358381693654)]    // 1 - e^-2 (1 + 2 + 2)
    public void ThePoissonTailMatchesHandComputedValues(int k, double mean, double expected)
    {
        Assert.Equal(expected, DetectionOracle.PoissonAtLeast(k, mean), expected * 1e-9);
    }

    [Fact]
    public void TheOracleFlagsWhenEnoughVisitorsAreKnownAgainstTheBaseRateOfThatMoment()
    {
        var oracle = new DetectionOracle();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // 10,000 active cards; the skimmed terminal's 50 visitors on day 1.
        for (var c = 0; c < 10_000; c++)
            oracle.Observe(Tx($"c{c}", "POS-1", t0.AddMinutes(c % 600), EntryMode.Chip, "IN"));
        var visits = Enumerable.Range(0, 50).ToDictionary(c => $"c{c}", c => t0.AddDays(1).AddMinutes(c));
        // The last three to visit cashed out abroad on days 10, 11 and 12, so only the whole window holds them: λ = 50 × known/10,000.
        foreach (var (card, day) in new[] { ("c47", 10), ("c48", 11), ("c49", 12) })
            oracle.Observe(Tx(card, "ATM-BKK-001", t0.AddDays(day), EntryMode.Magstripe, "TH"));

        var flag = oracle.FlagTime(visits);

        // After two: λ = 50 × 2/10,000 = 0.01, P(X ≥ 2) ≈ 5.0e-5; after three: λ = 0.015, P(X ≥ 3) ≈ 5.6e-7 < 1e-6.
        Assert.Equal(t0.AddDays(12), flag);
    }

    private static Transaction Tx(string card, string terminal, DateTimeOffset at, EntryMode entry, string country) => new()
    {
        TxnId = $"{card}-{at.Ticks}", BankId = "sbi", CardToken = card, TerminalId = terminal, TerminalType = terminal.StartsWith("ATM", StringComparison.Ordinal) ? TerminalType.Atm : TerminalType.Pos,
        Timestamp = at, AmountMinor = 100, Currency = "INR", EntryMode = entry, TxnType = TxnType.Withdrawal, Approved = true, Country = country,
    };
}
