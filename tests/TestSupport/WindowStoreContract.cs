using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

using Xunit;

namespace SkimGuard.TestSupport;

/// <summary>
/// What every window store must do, whatever keeps its state. The in-process store runs it here; the Redis store
/// runs the same suite against a real redis-server.
/// </summary>
public abstract class WindowStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly int Day0 = EventDay.Of(T0);

    protected abstract Task<IWindowStore> CreateStoreAsync();

    private static CardVisit Visit(string card, string terminal, DateTimeOffset at, string bank = "sbi") =>
        new(card, bank, terminal, TerminalType.Atm, at, 19.3, 72.85, "IN");

    private static CompromiseMark Mark(string card, double weight, DateTimeOffset firstFraud, string signal = Signals.FraudReport) =>
        new(card, "sbi", weight, signal, FraudType.Counterfeit, firstFraud, firstFraud.AddDays(2), new CashoutPlace("ATM-DEL-001", "IN", 28.6, 77.2), Strong: weight >= 0.5);

    [Fact]
    public async Task AnEventKeyIsAppliedOnceMarked()
    {
        var store = await CreateStoreAsync();
        var ct = TestContext.Current.CancellationToken;

        Assert.False(await store.IsAppliedAsync(new('t', "sbi", "1"), T0, ct));
        await store.MarkAppliedAsync(new('t', "sbi", "1"), T0, ct);

        Assert.True(await store.IsAppliedAsync(new('t', "sbi", "1"), T0, ct));
        Assert.False(await store.IsAppliedAsync(new('t', "sbi", "2"), T0, ct));
        Assert.False(await store.IsAppliedAsync(new('r', "sbi", "1"), T0, ct));
        Assert.False(await store.IsAppliedAsync(new('t', "hdfc", "1"), T0, ct));
    }

    [Fact]
    public async Task ABatchReadAheadKnowsWhatEarlierBatchesAppliedAndWhatItAppliesItself()
    {
        var store = await CreateStoreAsync();
        var ct = TestContext.Current.CancellationToken;
        EventKey first = new('t', "sbi", "1"), second = new('t', "sbi", "2");
        await store.BeginBatchAsync([(first, T0)], ct);
        await store.MarkAppliedAsync(first, T0, ct);
        await store.CommitBatchAsync(ct);

        await store.BeginBatchAsync([(first, T0), (second, T0), (second, T0)], ct);

        Assert.True(await store.IsAppliedAsync(first, T0, ct));
        Assert.False(await store.IsAppliedAsync(second, T0, ct));
        await store.MarkAppliedAsync(second, T0, ct);
        Assert.True(await store.IsAppliedAsync(second, T0, ct)); // a duplicate inside the batch
        await store.CommitBatchAsync(ct);
        Assert.True(await store.IsAppliedAsync(second, T0, ct));
    }

    [Fact]
    public async Task BatchesOfThousandsOfEventsOverTwoDaysKnowEachKeyTheyAppliedAndNoOther()
    {
        // Larger than the Redis store's 2,000-key commands, and one batch after another on the same store, which
        // reuses its batch state: no key may leak from one batch or one day into the next.
        var store = await CreateStoreAsync();
        var ct = TestContext.Current.CancellationToken;
        var events = Enumerable.Range(0, 5_000).Select(i => (Key: new EventKey('t', "sbi", $"big-{i}"), Time: T0.AddHours(i % 2 * 24))).ToList();
        var (applied, notYet) = (events.Where((_, i) => i % 3 != 0).ToList(), events.Where((_, i) => i % 3 == 0).ToList());
        await store.BeginBatchAsync(events, ct);
        foreach (var (key, time) in applied)
            await store.MarkAppliedAsync(key, time, ct);
        await store.CommitBatchAsync(ct);

        await store.BeginBatchAsync(events, ct);

        foreach (var (key, time) in applied)
            Assert.True(await store.IsAppliedAsync(key, time, ct), $"{key} was applied");
        foreach (var (key, time) in notYet)
            Assert.False(await store.IsAppliedAsync(key, time, ct), $"{key} was not applied");
        Assert.False(await store.IsAppliedAsync(applied[0].Key, applied[0].Time.AddDays(2), ct)); // the same key on another day
        await store.CommitBatchAsync(ct);
    }

    [Fact]
    public async Task TheRescanScheduleIsSavedReplacedAndRemoved()
    {
        var store = await CreateStoreAsync();
        var ct = TestContext.Current.CancellationToken;
        await store.SaveRescanAsync(new RescanEntry("ATM-1", T0, null), ct);
        await store.SaveRescanAsync(new RescanEntry("ATM-2", T0, T0.AddHours(1)), ct);
        await store.SaveRescanAsync(new RescanEntry("ATM-1", T0.AddHours(2), T0.AddHours(3)), ct);
        await store.RemoveRescansAsync(["ATM-2"], ct);
        await store.CommitBatchAsync(ct);

        Assert.Equal([new RescanEntry("ATM-1", T0.AddHours(2), T0.AddHours(3))], await store.GetRescansAsync(ct));
    }

    [Fact]
    public async Task ACardsVisitsComeBackInTimeOrderWithTheirTerminal()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("c1", "ATM-2", T0.AddHours(2)), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), TestContext.Current.CancellationToken);

        var history = await store.GetCardAsync("c1", TestContext.Current.CancellationToken);

        Assert.Equal(["ATM-1", "ATM-2"], history.Visits.Select(v => v.TerminalId));
        Assert.Equal(T0, history.Visits[0].Time);
        Assert.Equal(("sbi", 19.3, "IN"), (history.Visits[0].BankId, history.Visits[0].Lat!.Value, history.Visits[0].Country));
        Assert.Null(history.Mark);
    }

    [Fact]
    public async Task AnUnknownCardHasAnEmptyHistory()
    {
        var history = await (await CreateStoreAsync()).GetCardAsync("nobody", TestContext.Current.CancellationToken);

        Assert.Empty(history.Visits);
        Assert.Null(history.Mark);
    }

    [Fact]
    public async Task VisitsFillTheTerminalsDaysWithDistinctCards()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0.AddHours(1)), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c2", "ATM-1", T0.AddHours(2), bank: "hdfc"), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c3", "ATM-1", T0.AddDays(1)), TestContext.Current.CancellationToken);

        var terminal = (await store.GetTerminalAsync("ATM-1", Day0, Day0 + 1, TestContext.Current.CancellationToken))!;

        Assert.Equal(TerminalType.Atm, terminal.TerminalType);
        Assert.Equal([new CardRef("c1", "sbi"), new CardRef("c2", "hdfc")], terminal.CardsByDay[Day0].OrderBy(c => c.Token));
        Assert.Equal([new CardRef("c3", "sbi")], terminal.CardsByDay[Day0 + 1]);
        Assert.Null(await store.GetTerminalAsync("ATM-unknown", Day0, Day0, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TheTerminalRangeLeavesOutOtherDays()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c2", "ATM-1", T0.AddDays(5)), TestContext.Current.CancellationToken);

        var terminal = (await store.GetTerminalAsync("ATM-1", Day0 + 1, Day0 + 5, TestContext.Current.CancellationToken))!;

        Assert.Equal([Day0 + 5], terminal.CardsByDay.Keys);
    }

    [Fact]
    public async Task ActiveCardsAreCountedOnceOverARange()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c1", "ATM-2", T0.AddDays(1)), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("c2", "ATM-1", T0.AddDays(1)), TestContext.Current.CancellationToken);

        var rate = await store.GetBaseRateAsync(Day0, Day0 + 1, TestContext.Current.CancellationToken);

        Assert.Equal(2, rate.ActiveCards);
        Assert.Equal(2, rate.ActiveTerminals);
        Assert.Equal(0, rate.CompromisedWeight);
    }

    [Fact]
    public async Task ACardKeepsItsStrongestMarkAndTheBaseRateCountsItOnce()
    {
        var store = await CreateStoreAsync();
        var weak = Mark("c1", 0.5, T0, Signals.CounterfeitSignature);
        var strong = Mark("c1", 1.0, T0.AddDays(1));

        Assert.Equal(weak, await store.MarkCompromisedAsync(weak, TestContext.Current.CancellationToken));
        Assert.Equal(strong, await store.MarkCompromisedAsync(strong, TestContext.Current.CancellationToken));
        Assert.Equal(strong, await store.MarkCompromisedAsync(weak, TestContext.Current.CancellationToken));

        Assert.Equal(strong, (await store.GetCardAsync("c1", TestContext.Current.CancellationToken)).Mark);
        var rate = await store.GetBaseRateAsync(Day0, Day0 + 5, TestContext.Current.CancellationToken);
        Assert.Equal(1.0, rate.CompromisedWeight, 1e-9);
        Assert.Equal(1.0, rate.StrongWeight, 1e-9);

        // A weak mark on another card counts in the overall weight only.
        await store.MarkCompromisedAsync(Mark("c2", 0.1, T0), TestContext.Current.CancellationToken);
        rate = await store.GetBaseRateAsync(Day0, Day0 + 5, TestContext.Current.CancellationToken);
        Assert.Equal((1.1, 1.0), (Math.Round(rate.CompromisedWeight, 9), Math.Round(rate.StrongWeight, 9)));
    }

    [Fact]
    public async Task ACompromisedVisitorIsReplacedNotAddedAgain()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), TestContext.Current.CancellationToken);
        await store.UpsertCompromisedVisitorAsync("ATM-1", new CompromisedVisitor(Mark("c1", 0.5, T0.AddDays(10)), [T0]), TestContext.Current.CancellationToken);
        await store.UpsertCompromisedVisitorAsync("ATM-1", new CompromisedVisitor(Mark("c1", 1.0, T0.AddDays(10)), [T0]), TestContext.Current.CancellationToken);

        var terminal = (await store.GetTerminalAsync("ATM-1", Day0, Day0 + 10, TestContext.Current.CancellationToken))!;

        var visitor = Assert.Single(terminal.Compromised);
        Assert.Equal(1.0, visitor.Mark.Weight);
        Assert.Equal([T0], visitor.Visits);
        Assert.Equal("ATM-DEL-001", visitor.Mark.Cashout!.TerminalId);
    }

    [Fact]
    public async Task ACompromisedVisitorComesBackWithOnlyItsVisitsInsideTheRange()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0.AddDays(10)), TestContext.Current.CancellationToken);
        await store.UpsertCompromisedVisitorAsync("ATM-1", new CompromisedVisitor(Mark("c1", 1.0, T0.AddDays(20)), [T0, T0.AddDays(10)]), TestContext.Current.CancellationToken);

        var terminal = (await store.GetTerminalAsync("ATM-1", Day0 + 5, Day0 + 20, TestContext.Current.CancellationToken))!;

        Assert.Equal([T0.AddDays(10)], Assert.Single(terminal.Compromised).Visits);
    }

    [Fact]
    public async Task AnAlertIsKeptByTerminalAndReplacedByItsNewestState()
    {
        var store = await CreateStoreAsync();
        var alert = Alerts.Sample("ATM-1", T0);

        await store.SaveAlertAsync(alert, TestContext.Current.CancellationToken);
        await store.SaveAlertAsync(alert with { Status = AlertStatus.Updated, CompromisedCards = 9 }, TestContext.Current.CancellationToken);

        var saved = (await store.GetAlertAsync("ATM-1", TestContext.Current.CancellationToken))!;
        Assert.Equal((AlertStatus.Updated, 9.0), (saved.Status, saved.CompromisedCards));
        Assert.Equal(alert.Evidence.Single(), saved.Evidence.Single());
        Assert.Null(await store.GetAlertAsync("ATM-2", TestContext.Current.CancellationToken));

        await store.SaveAlertAsync(saved with { Status = AlertStatus.Withdrawn, ExplainedBy = ["ATM-7", "ATM-9"] }, TestContext.Current.CancellationToken);
        var withdrawn = (await store.GetAlertAsync("ATM-1", TestContext.Current.CancellationToken))!;
        Assert.Equal(AlertStatus.Withdrawn, withdrawn.Status);
        Assert.Equal(["ATM-7", "ATM-9"], withdrawn.ExplainedBy);
    }

    [Fact]
    public async Task CardsSentAreRememberedPerAlertAndBank()
    {
        var store = await CreateStoreAsync();
        await store.AddCardsSentAsync("a1", "sbi", ["c1", "c2"], TestContext.Current.CancellationToken);
        await store.AddCardsSentAsync("a1", "sbi", ["c3"], TestContext.Current.CancellationToken);

        Assert.Equal(["c1", "c2", "c3"], (await store.GetCardsSentAsync("a1", "sbi", TestContext.Current.CancellationToken)).Order());
        Assert.Empty(await store.GetCardsSentAsync("a1", "hdfc", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ACardReadAheadComesBackWithTheBatchsOwnChangesLaidOver()
    {
        var store = await CreateStoreAsync();
        var ct = TestContext.Current.CancellationToken;
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), ct);
        await store.AddVisitAsync(Visit("c1", "ATM-2", T0.AddDays(3)), ct);
        await store.MarkCompromisedAsync(Mark("c1", 0.5, T0.AddDays(4), Signals.CounterfeitSignature), ct);
        await store.CommitBatchAsync(ct);

        await store.BeginBatchAsync([], ct);
        await store.ReadAheadCardsAsync(["c1", "never-seen"], ct);
        await store.AddVisitAsync(Visit("c1", "ATM-3", T0.AddDays(5)), ct);
        var stronger = Mark("c1", 1.0, T0.AddDays(6));
        Assert.Equal(stronger, await store.MarkCompromisedAsync(stronger, ct));

        var card = await store.GetCardAsync("c1", ct);
        Assert.Equal([("ATM-1", T0), ("ATM-2", T0.AddDays(3)), ("ATM-3", T0.AddDays(5))], card.Visits.Select(v => (v.TerminalId, v.Time)));
        Assert.Equal(stronger, card.Mark);
        Assert.Empty((await store.GetCardAsync("never-seen", ct)).Visits);
        // Expiry in the middle of the batch applies to what was read ahead too.
        await store.ExpireAsync(Day0 + 1, Day0 + 1, ct);
        Assert.Equal([T0.AddDays(3), T0.AddDays(5)], (await store.GetCardAsync("c1", ct)).Visits.Select(v => v.Time));
    }

    [Fact]
    public async Task TheBaseRateCountsWhatTheBatchAddsBetweenTwoReads()
    {
        var store = await CreateStoreAsync();
        var ct = TestContext.Current.CancellationToken;
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0), ct);
        await store.CommitBatchAsync(ct);

        await store.BeginBatchAsync([], ct);
        Assert.Equal((1, 1), Counts(await store.GetBaseRateAsync(Day0, Day0 + 5, ct)));
        await store.AddVisitAsync(Visit("c2", "ATM-2", T0.AddDays(1)), ct);
        Assert.Equal((2, 2), Counts(await store.GetBaseRateAsync(Day0, Day0 + 5, ct)));
        // A stored card active again, and a card active only after the range, change nothing.
        await store.AddVisitAsync(Visit("c1", "ATM-1", T0.AddDays(2)), ct);
        await store.AddVisitAsync(Visit("c3", "ATM-3", T0.AddDays(9)), ct);
        Assert.Equal((2, 2), Counts(await store.GetBaseRateAsync(Day0, Day0 + 5, ct)));
        // The stored card moved past a shorter range: it no longer counts in it.
        Assert.Equal((0, 0), Counts(await store.GetBaseRateAsync(Day0, Day0, ct)));
        await store.MarkCompromisedAsync(Mark("c2", 1.0, T0.AddDays(1)), ct);
        Assert.Equal(1.0, (await store.GetBaseRateAsync(Day0, Day0 + 5, ct)).CompromisedWeight, 1e-9);

        static (long Cards, long Terminals) Counts(BaseRate rate) => (rate.ActiveCards, rate.ActiveTerminals);
    }

    [Fact]
    public async Task ExpiryDropsOldStateAndKeepsRecentState()
    {
        var store = await CreateStoreAsync();
        await store.AddVisitAsync(Visit("old", "ATM-1", T0), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("both", "ATM-1", T0), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(Visit("both", "ATM-1", T0.AddDays(10)), TestContext.Current.CancellationToken);
        await store.UpsertCompromisedVisitorAsync("ATM-1", new CompromisedVisitor(Mark("old", 1, T0.AddDays(3)), [T0]), TestContext.Current.CancellationToken);
        await store.MarkAppliedAsync(new('t', "sbi", "old"), T0, TestContext.Current.CancellationToken);
        await store.CommitBatchAsync(TestContext.Current.CancellationToken);

        await store.ExpireAsync(Day0 + 5, Day0 + 5, TestContext.Current.CancellationToken);

        Assert.Empty((await store.GetCardAsync("old", TestContext.Current.CancellationToken)).Visits);
        Assert.Equal([T0.AddDays(10)], (await store.GetCardAsync("both", TestContext.Current.CancellationToken)).Visits.Select(v => v.Time));
        var terminal = (await store.GetTerminalAsync("ATM-1", Day0 - 100, Day0 + 100, TestContext.Current.CancellationToken))!;
        Assert.Equal([Day0 + 10], terminal.CardsByDay.Keys);
        Assert.Empty(terminal.Compromised);
        var rate = await store.GetBaseRateAsync(Day0 - 100, Day0 + 100, TestContext.Current.CancellationToken);
        Assert.Equal((1, 1), (rate.ActiveCards, rate.ActiveTerminals));
        // An applied key past its horizon is forgotten: the dedupe window is bounded too.
        Assert.False(await store.IsAppliedAsync(new('t', "sbi", "old"), T0, TestContext.Current.CancellationToken));
    }
}

/// <summary>Sample alerts for store tests.</summary>
public static class Alerts
{
    public static AtmAlert Sample(string terminal, DateTimeOffset at) => new()
    {
        AlertId = $"{terminal}@x", TerminalId = terminal, TerminalType = TerminalType.Atm, Status = AlertStatus.Raised,
        Score = 8, PValue = 1e-8, CompromisedCards = 5, ExposedCards = 50, Expected = 0.1, WindowFrom = at, WindowTo = at.AddDays(2),
        CardsAtRisk = 45, FirstFlaggedAt = at.AddDays(20), UpdatedAt = at.AddDays(20), ModelVersion = "none",
        Evidence = [new CompromiseEvidence { CardToken = "c1", BankId = "sbi", VisitedAt = at, Signal = Signals.FraudReport, Weight = 1, FirstFraudAt = at.AddDays(15) }],
    };
}
