using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Tests;

/// <summary>
/// A mall between two neighbourhoods: on days 4 to 6 the shop POS-MALL serves both, and on day 5 a skimmer on ATM-A
/// takes 60 cards of the first and one on ATM-B 60 of the second, most of whom shop at the mall the same days. The
/// reports come in alternately, so the shop, holding both skimmers' victims, is significant before either skimmer is:
/// it is flagged first. Once the skimmers are flagged it must not stay blamed for their cards. That takes the hub rule
/// (<see cref="CppOptions.ExplainByConcentration"/>), which is off by default for what it costs elsewhere.
/// </summary>
public sealed class HubTests
{
    private const string Hub = "POS-MALL", SkimmerA = "ATM-A", SkimmerB = "ATM-B";

    private static async Task<(RecordingSink Sink, CompromiseEngine Engine, List<HeldBack> Held)> RunAsync(CppOptions options)
    {
        var sink = new RecordingSink();
        var engine = new CompromiseEngine(new InProcessWindowStore(), sink, options, AtmRegistry.Empty);
        var held = new List<HeldBack>();
        engine.HeldBack += held.Add;
        var random = new Random(11);
        var first = Enumerable.Range(0, 1500).Select(i => $"a-{i:D4}").ToList();
        var second = Enumerable.Range(0, 1500).Select(i => $"b-{i:D4}").ToList();
        var victimsA = first.Where((_, i) => i % 25 == 0).ToList();
        var victimsB = second.Where((_, i) => i % 25 == 0).ToList();
        var visits = new List<Transaction>();
        for (var day = 0; day < 20; day++)
        {
            var at = Build.T0.AddDays(day);
            foreach (var (cards, prefix) in new[] { (first, "ATM-A"), (second, "ATM-B") })
                foreach (var card in cards)
                    if (random.NextDouble() < 0.3)
                        visits.Add(Build.Visit(card, $"{prefix}{random.Next(5)}", at.AddHours(8 + random.Next(12))));
            // The mall's everyday shoppers, from both sides.
            foreach (var card in first.Concat(second))
                if (random.NextDouble() < 0.01)
                    visits.Add(Build.Visit(card, Hub, at.AddHours(10 + random.Next(8)), type: TerminalType.Pos));
            // Bystanders at the two skimmed ATMs on other days.
            if (day != 5)
                visits.AddRange(first.Skip(day * 5 + 1).Take(4).Select(card => Build.Visit(card, SkimmerA, at.AddHours(15)))
                    .Concat(second.Skip(day * 5 + 1).Take(4).Select(card => Build.Visit(card, SkimmerB, at.AddHours(15)))));
        }
        foreach (var (victims, skimmer) in new[] { (victimsA, SkimmerA), (victimsB, SkimmerB) })
            foreach (var (card, i) in victims.Select((c, i) => (c, i)))
            {
                visits.Add(Build.Visit(card, skimmer, Build.T0.AddDays(5).AddHours(9).AddMinutes(i)));
                if (i % 5 != 0) // four in five of them shop at the mall that day
                    visits.Add(Build.Visit(card, Hub, Build.T0.AddDays(5).AddHours(11).AddMinutes(i), type: TerminalType.Pos));
            }
        foreach (var visit in visits.OrderBy(v => v.Timestamp))
            await engine.ProcessAsync(visit);
        var reports = victimsA.Zip(victimsB, (a, b) => new[] { a, b }).SelectMany(pair => pair)
            .Select((card, i) => Build.Report(card, Build.T0.AddDays(21), Build.T0.AddDays(22).AddMinutes(90 * i)));
        foreach (var report in reports)
            await engine.ProcessAsync(report);
        await engine.FlushRescansAsync(Build.T0.AddDays(30));
        return (sink, engine, held);
    }

    private static AtmAlert? Latest(RecordingSink sink, string terminal) => sink.Alerts.LastOrDefault(a => a.TerminalId == terminal);

    private static readonly CppOptions HubRule = new() { ExplainByConcentration = true };

    [Fact]
    public async Task TheHubFlaggedFirstIsWithdrawnOnceTheSkimmersExplainItsCards()
    {
        var (sink, engine, held) = await RunAsync(HubRule);

        Assert.Equal(Hub, sink.Alerts.First(a => a.Status == AlertStatus.Raised).TerminalId);
        Assert.NotNull(Latest(sink, SkimmerA));
        Assert.NotNull(Latest(sink, SkimmerB));
        var hub = Latest(sink, Hub)!;
        Assert.Equal(AlertStatus.Withdrawn, hub.Status);
        Assert.NotEmpty(hub.ExplainedBy!);
        Assert.Subset(new HashSet<string> { SkimmerA, SkimmerB }, hub.ExplainedBy!.ToHashSet());
        Assert.True(engine.Counters.AlertsWithdrawn >= 1);
        // Later rescans of the shop hold it back, naming the skimmers; they never bring it back.
        Assert.DoesNotContain(sink.Alerts.SkipWhile(a => a.Status != AlertStatus.Withdrawn), a => a.TerminalId == Hub && a.Status != AlertStatus.Withdrawn);
        Assert.Contains(held, h => h.TerminalId == Hub && h.Reason == HoldReason.ExplainedAway);
    }

    [Fact]
    public async Task ASkimmerIsNotExplainedAwayByTheLessConcentratedHubFlaggedBeforeIt()
    {
        var (_, _, held) = await RunAsync(HubRule);

        Assert.DoesNotContain(held, h => h.TerminalId is SkimmerA or SkimmerB && h.ExplainedBy.Contains(Hub));
    }

    [Fact]
    public async Task WithoutTheHubRuleTheHubFlaggedFirstHoldsASkimmerBackForGood()
    {
        // The default's known failure, kept visible: the more significant flagged shop explains a skimmer away, for good.
        var (sink, _, held) = await RunAsync(new CppOptions());

        Assert.Equal(Hub, sink.Alerts.First().TerminalId);
        Assert.DoesNotContain(sink.Alerts, a => a.Status == AlertStatus.Withdrawn);
        Assert.DoesNotContain(sink.Alerts, a => a.TerminalId == SkimmerB);
        Assert.Contains(held, h => h.TerminalId == SkimmerB && h.ExplainedBy.Contains(Hub));
    }
}
