using SkimGuard.Engine.Cpp;

namespace SkimGuard.Engine.Tests;

public sealed class ExplainingAwayTests
{
    /// <summary>
    /// The forty victims also shop at one small shop every other day, with sixty neighbours. Its share of compromised
    /// visitors is far above the base rate too, but every one of those cards also used ATM-X, which scans far more
    /// significant: the shop is ATM-X's echo.
    /// </summary>
    [Fact]
    public async Task ATerminalWhoseCardsAreExplainedByAStrongerOneIsNotFlagged()
    {
        var town = new Town();
        var shoppers = town.Victims.Concat(town.Cards.Where(c => !town.Victims.Contains(c)).Take(60)).ToList();
        var shopVisits = Enumerable.Range(0, 20).Where(d => d % 2 == 0)
            .SelectMany(d => shoppers.Select((card, i) => Build.Visit(card, "POS-SHOP", Build.T0.AddDays(d).AddHours(10).AddSeconds(i), town.BankOf[card], type: SkimGuard.Contracts.TerminalType.Pos)));
        town.Visits.AddRange(shopVisits);
        town.Visits.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        await town.FeedVisitsAsync();

        foreach (var report in town.VictimReports(30))
            await town.Engine.ProcessAsync(report);

        Assert.Equal([Town.Skimmed], town.Sink.Alerts.Select(a => a.TerminalId).Distinct());
        Assert.True(town.Engine.Counters.ExplainedAway > 0);
    }

    [Fact]
    public async Task WithoutExplainingAwayTheEchoWouldBeFlagged()
    {
        var town = new Town(new CppOptions { ExplainedShare = 1.01 });
        var shoppers = town.Victims.Concat(town.Cards.Where(c => !town.Victims.Contains(c)).Take(60)).ToList();
        town.Visits.AddRange(Enumerable.Range(0, 20).Where(d => d % 2 == 0)
            .SelectMany(d => shoppers.Select((card, i) => Build.Visit(card, "POS-SHOP", Build.T0.AddDays(d).AddHours(10).AddSeconds(i), town.BankOf[card], type: SkimGuard.Contracts.TerminalType.Pos))));
        town.Visits.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        await town.FeedVisitsAsync();

        foreach (var report in town.VictimReports(30))
            await town.Engine.ProcessAsync(report);

        Assert.Contains("POS-SHOP", town.Sink.Alerts.Select(a => a.TerminalId));
    }
}
