using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Tests;

public sealed class CompromiseEngineTests
{
    [Fact]
    public async Task ASkimmedAtmIsFlaggedFromItsCompromisedVisitors()
    {
        var town = new Town();
        await town.FeedVisitsAsync();

        foreach (var report in town.VictimReports(25))
            await town.Engine.ProcessAsync(report);

        var alert = Assert.Single(town.Sink.Alerts.Select(a => a.TerminalId).Distinct());
        Assert.Equal(Town.Skimmed, alert);
        var latest = town.Sink.Alerts[^1];
        Assert.Equal(Town.SkimDay.Date, latest.WindowFrom.Date);
        Assert.Equal(Town.SkimDay.AddDays(1), latest.WindowTo);
        Assert.Equal(25, latest.CompromisedCards);
        Assert.Equal(40, latest.ExposedCards);
        Assert.Equal(25, latest.Evidence.Count);
    }

    [Fact]
    public async Task AReportCountsFromItsReportedAtAndTheFlagCarriesThatTime()
    {
        var town = new Town();
        await town.FeedVisitsAsync();
        var reports = town.VictimReports(25);

        var raisedBy = new List<FraudReport>();
        foreach (var report in reports)
        {
            await town.Engine.ProcessAsync(report);
            if (town.Sink.Alerts.Count > 0 && raisedBy.Count == 0)
                raisedBy.Add(report);
        }

        var first = town.Sink.Alerts[0];
        // The first fraud is days earlier, but nothing is known before the report is filed.
        Assert.Equal(raisedBy.Single().ReportedAt, first.FirstFlaggedAt);
        Assert.True(first.FirstFlaggedAt > reports[0].ReportedAt, "one report alone must not flag");
        Assert.Equal(AlertStatus.Raised, first.Status);
    }

    [Fact]
    public async Task LaterEvidenceUpdatesTheSameAlertInsteadOfRaisingAnother()
    {
        var town = new Town();
        await town.FeedVisitsAsync();

        foreach (var report in town.VictimReports(40))
            await town.Engine.ProcessAsync(report);

        Assert.Single(town.Sink.Alerts.Select(a => a.AlertId).Distinct());
        Assert.All(town.Sink.Alerts.Skip(1), a => Assert.Equal(AlertStatus.Updated, a.Status));
        Assert.Equal(town.Sink.Alerts[0].FirstFlaggedAt, town.Sink.Alerts[^1].FirstFlaggedAt);
        Assert.Equal(40, town.Sink.Alerts[^1].CompromisedCards);
        Assert.Equal(1, town.Engine.Counters.AlertsRaised);
    }

    [Fact]
    public async Task EachBankGetsOnlyItsOwnCardsAtRiskAndNeverACompromisedOne()
    {
        var town = new Town();
        await town.FeedVisitsAsync();
        var reports = town.VictimReports(25);
        foreach (var report in reports)
            await town.Engine.ProcessAsync(report);

        var reportedAt = reports.ToDictionary(r => r.CardToken, r => r.ReportedAt);
        var listed = town.Sink.CardsAtRisk.SelectMany(l => l.CardTokens).ToHashSet();
        Assert.Equal(["hdfc", "sbi"], town.Sink.CardsAtRisk.Select(l => l.BankId).Distinct().Order());
        Assert.All(town.Sink.CardsAtRisk, list => Assert.All(list.CardTokens, card =>
        {
            Assert.Equal(list.BankId, town.BankOf[card]);
            Assert.False(reportedAt.TryGetValue(card, out var at) && at <= list.IssuedAt, $"{card} was reported before it was listed");
        }));
        // The cards at risk are the victims not yet reported at the flag: they used ATM-X on the skimmer's day.
        var flaggedAt = town.Sink.Alerts[0].FirstFlaggedAt;
        Assert.Equal(town.Victims.Where(v => !(reportedAt.TryGetValue(v, out var at) && at <= flaggedAt)).Order(), listed.Order());
    }

    [Fact]
    public async Task RedeliveredEventsChangeNothing()
    {
        var town = new Town();
        await town.FeedVisitsAsync();
        foreach (var report in town.VictimReports(25))
            await town.Engine.ProcessAsync(report);
        var published = (town.Sink.Alerts.Count, town.Sink.CardsAtRisk.Count);

        // Redelivered within the dedupe window (a week before the last report, on day 26): the last day of visits and every report.
        var recent = town.Visits.Where(v => v.Timestamp >= Build.T0.AddDays(19)).ToList();
        foreach (var visit in recent)
            Assert.False(await town.Engine.ProcessAsync(visit));
        foreach (var report in town.VictimReports(25))
            Assert.False(await town.Engine.ProcessAsync(report));

        Assert.Equal(published, (town.Sink.Alerts.Count, town.Sink.CardsAtRisk.Count));
        Assert.Equal(recent.Count + 25, town.Engine.Counters.Duplicates);
    }

    [Fact]
    public async Task AClonesCashOutMarksTheCardBeforeAnyReport()
    {
        var town = new Town();
        await town.FeedVisitsAsync();

        foreach (var (card, i) in town.Victims.Take(25).Select((c, i) => (c, i)))
            await town.Engine.ProcessAsync(Build.Cashout(card, Build.T0.AddDays(21).AddMinutes(i * 10), town.BankOf[card]));

        Assert.Equal(25, town.Engine.Counters.SignatureMarks);
        var alert = town.Sink.Alerts[^1];
        Assert.Equal(Town.Skimmed, alert.TerminalId);
        Assert.All(alert.Evidence, e => Assert.Equal((Signals.CounterfeitSignature, "ATM-DEL-001"), (e.Signal, e.CashoutTerminalId)));
    }

    [Fact]
    public async Task AReportNamingALaterFirstFraudDoesNotTurnTheClonesCashOutAtmIntoACompromisePoint()
    {
        // The clones are cashed out in Delhi on days 21 to 23; the banks' counterfeit reports name day 25 as the first
        // fraud. The report outweighs the signature mark, but the fraud began at the first cash-out: with day 25, the
        // Delhi ATM's three days of clone withdrawals were exposures and it was flagged as the compromise point.
        var town = new Town();
        await town.FeedVisitsAsync();
        foreach (var (card, i) in town.Victims.Take(25).Select((c, i) => (c, i)))
            for (var day = 21; day <= 23; day++)
                await town.Engine.ProcessAsync(Build.Cashout(card, Build.T0.AddDays(day).AddMinutes(i * 10), town.BankOf[card]));
        var firstCashout = (await town.Store.GetCardAsync(town.Victims[0])).Mark!.FirstFraudAt;

        foreach (var (card, i) in town.Victims.Take(25).Select((c, i) => (c, i)))
            await town.Engine.ProcessAsync(Build.Report(card, Build.T0.AddDays(25), Build.T0.AddDays(26).AddMinutes(i * 10), bank: town.BankOf[card]));
        await town.Engine.FlushRescansAsync(Build.T0.AddDays(30));

        var mark = (await town.Store.GetCardAsync(town.Victims[0])).Mark!;
        Assert.Equal((Signals.FraudReport, firstCashout), (mark.Signal, mark.FirstFraudAt));
        Assert.Equal([Town.Skimmed], town.Sink.Alerts.Select(a => a.TerminalId).Distinct());
    }

    [Fact]
    public async Task AStripeCashOutAtAnAtmOfUnknownPlaceCountsWithLessWeight()
    {
        var town = new Town();
        await town.FeedVisitsAsync();

        // A non-partner bank's ATM: in no registry and without coordinates, so "far from home" cannot be judged.
        foreach (var (card, i) in town.Victims.Take(25).Select((c, i) => (c, i)))
            await town.Engine.ProcessAsync(Build.Cashout(card, Build.T0.AddDays(21).AddMinutes(i * 10), town.BankOf[card]) with { TerminalId = "ATM-NP-DEL-001", Lat = null, Lon = null });

        Assert.Equal(25, town.Engine.Counters.SignatureMarks);
        var alert = town.Sink.Alerts[^1];
        Assert.Equal(Town.Skimmed, alert.TerminalId);
        Assert.All(alert.Evidence, e => Assert.Equal(new CppOptions().UnlocatedCashoutWeight, e.Weight));
    }

    [Fact]
    public void AStripeWithdrawalAtARegisteredAtmWithoutCoordinatesIsNoSignature()
    {
        var history = new CardHistory([.. Enumerable.Range(0, 4).Select(i => new CardVisit("c", "sbi", "ATM-1", TerminalType.Atm, Build.T0.AddDays(i), 19.3, 72.85, "IN"))], null);
        var atHome = Build.Visit("c", "ATM-MB-0007", Build.T0.AddDays(10), entry: EntryMode.Fallback) with { Lat = null, Lon = null };
        var registry = new Contracts.Registry.AtmRegistry([new Contracts.Registry.AtmRecord("ATM-MB-0007", "sbi", "SBI ATM", 19.3, 72.85, "Navghar")]);

        Assert.Equal(0, CounterfeitSignature.WeightOf(atHome, history, new CppOptions(), registry));
        Assert.Equal(0.6, CounterfeitSignature.WeightOf(atHome, history, new CppOptions(), Contracts.Registry.AtmRegistry.Empty));
    }

    [Fact]
    public async Task AChipWithdrawalOnATripIsNotACounterfeitSignature()
    {
        var town = new Town();
        await town.FeedVisitsAsync();

        await town.Engine.ProcessAsync(Build.Visit(town.Cards[1], "ATM-DEL-002", Build.T0.AddDays(21), town.BankOf[town.Cards[1]], lat: 28.6, lon: 77.2));
        await town.Engine.ProcessAsync(Build.Visit(town.Cards[2], "ATM-9", Build.T0.AddDays(21), town.BankOf[town.Cards[2]], entry: EntryMode.Fallback));

        Assert.Equal(0, town.Engine.Counters.SignatureMarks);
    }

    [Fact]
    public async Task CardNotPresentFraudIsWeakEvidence()
    {
        var town = new Town();
        await town.FeedVisitsAsync();

        foreach (var report in town.VictimReports(25))
            await town.Engine.ProcessAsync(report with { FraudType = FraudType.CardNotPresent });

        Assert.Empty(town.Sink.Alerts);
    }

    [Fact]
    public async Task StateOlderThanTheRetentionIsDropped()
    {
        var options = new CppOptions();
        var town = new Town(options);
        await town.FeedVisitsAsync();
        var cardsBefore = town.Store.CardCount;

        // One card active for months: the rest fall out of the window.
        for (var day = 20; day < 20 + options.RetentionDays + 10; day++)
            await town.Engine.ProcessAsync(Build.Visit("regular", "ATM-1", Build.T0.AddDays(day)));

        Assert.Equal(1000, cardsBefore);
        Assert.Equal(1, town.Store.CardCount);
        Assert.InRange(town.Store.VisitCount, options.RetentionDays - 1, options.RetentionDays + 1);
    }
}
