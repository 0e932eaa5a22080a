using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Tests;

public sealed class WindowScanTests
{
    private static readonly CppOptions Options = new() { MinCompromised = 3, MinRelativeRisk = 5, MaxWindowDays = 14 };
    private const int Day0 = 740_000;

    /// <summary>Ten days, ten new cards a day; four compromised cards came on days 3 and 4.</summary>
    private static TerminalHistory Terminal()
    {
        var byDay = Enumerable.Range(0, 10).ToDictionary(
            d => Day0 + d,
            d => (IReadOnlyCollection<CardRef>)[.. Enumerable.Range(0, 10).Select(i => new CardRef($"c{d}-{i}", "sbi"))]);
        var compromised = new[] { "c3-0", "c3-1", "c4-0", "c4-1" }
            .Select(card => new CompromisedVisitor(
                new CompromiseMark(card, "sbi", 1.0, Signals.FraudReport, FraudType.Counterfeit, EventDay.Start(Day0 + 30), EventDay.Start(Day0 + 31), null, Strong: true),
                [EventDay.Start(Day0 + int.Parse(card[1..2], System.Globalization.CultureInfo.InvariantCulture)).AddHours(10)]))
            .ToList();
        return new TerminalHistory("ATM-1", TerminalType.Atm, null, null, byDay, compromised);
    }

    [Fact]
    public void TheBestWindowIsTheTwoDaysOfTheCompromisedVisitsWithTheHandComputedTail()
    {
        var best = WindowScan.Best(Terminal(), new BaseRates(0.01, 0.01), Options)!;

        // k = 4 of n = 20 visitors on days 3-4, expected 20 x 0.01 = 0.2;
        // P(X >= 4 | 0.2) = 1 - e^-0.2 (1 + 0.2 + 0.02 + 0.0013333) = 5.684e-5.
        Assert.Equal((Day0 + 3, Day0 + 4), (best.FromDay, best.ToDay));
        Assert.Equal(4, best.K);
        Assert.Equal(20, best.N);
        Assert.Equal(0.2, best.Expected, 1e-12);
        Assert.Equal(1 - Math.Exp(-0.2) * (1 + 0.2 + 0.02 + 0.008 / 6), best.PValue, 1e-12);
    }

    [Fact]
    public void AStrongTestAgainstALowerStrongBaseRateWinsWhenWeakMarksInflateTheOverallRate()
    {
        // Overall rate 5 %: 4 of 20 is only four times it. Strong-only rate 0.5 %: 4 against 0.1 expected.
        var best = WindowScan.Best(Terminal(), new BaseRates(0.05, 0.005), Options)!;

        Assert.Equal(0.1, best.Expected, 1e-12);
        Assert.Equal(1 - Math.Exp(-0.1) * (1 + 0.1 + 0.005 + 0.001 / 6), best.PValue, 1e-12);
    }

    [Fact]
    public void TooFewCompromisedCardsMakeNoWindow()
    {
        Assert.Null(WindowScan.Best(Terminal(), new BaseRates(0.01, 0.01), Options with { MinCompromised = 5 }));
    }

    [Fact]
    public void APopularTerminalWithTheBaseRateOfCompromiseMakesNoWindow()
    {
        // 4 compromised among 20 is 20 %: at a base rate of 10 % the excess is only twice, below the relative risk.
        Assert.Null(WindowScan.Best(Terminal(), new BaseRates(0.1, 0.1), Options));
    }

    [Fact]
    public void ACardVisitingOnSeveralDaysIsCountedOnceInBothKAndN()
    {
        var terminal = Terminal();
        var repeat = terminal.CardsByDay.ToDictionary(d => d.Key, d => d.Key == Day0 + 4 ? (IReadOnlyCollection<CardRef>)[.. d.Value, new CardRef("c3-0", "sbi")] : d.Value);

        var best = WindowScan.Best(terminal with { CardsByDay = repeat }, new BaseRates(0.01, 0.01), Options)!;

        Assert.Equal(20, best.N);
        Assert.Equal(4, best.K);
    }
}

public sealed class WeakEvidenceTests
{
    [Fact]
    public void ManyWeakMarksCannotMakeAWindowWithoutEnoughStrongOnes()
    {
        var day = 740_000;
        var cards = Enumerable.Range(0, 200).Select(i => new CardRef($"c{i}", "sbi")).ToList();
        // Sixty card-not-present victims of a phishing wave (weight 0.1) and two counterfeit cards, all on one day.
        var compromised = cards.Take(62).Select((c, i) => new CompromisedVisitor(
            new CompromiseMark(c.Token, "sbi", i < 60 ? 0.1 : 1.0, Signals.FraudReport, i < 60 ? FraudType.CardNotPresent : FraudType.Counterfeit,
                EventDay.Start(day + 20), EventDay.Start(day + 22), null, Strong: i >= 60),
            [EventDay.Start(day).AddHours(10)])).ToList();
        var terminal = new TerminalHistory("POS-1", TerminalType.Pos, null, null,
            new Dictionary<int, IReadOnlyCollection<CardRef>> { [day] = cards }, compromised);

        // k = 8 against 200 x 0.001 = 0.2 expected would be overwhelming, but only two cards are strong evidence.
        Assert.Null(WindowScan.Best(terminal, new BaseRates(0.001, 0.001), new CppOptions()));
        Assert.NotNull(WindowScan.Best(terminal, new BaseRates(0.001, 0.001), new CppOptions { MinCompromised = 2 }));
    }
}
