using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Tests;

/// <summary>
/// A neighbourhood whose residents were skimmed at a place no feed contains: every ATM they use carries the same excess
/// of compromised cards, well above the town's base rate. None of them is the skimmer, and none must be flagged; a real
/// skimmer among them still is, because it stands out against its victims' other terminals.
/// </summary>
public sealed class LocalEchoTests
{
    private const int Residents = 600, Others = 6000;

    /// <summary>
    /// Residents use four neighbourhood ATMs, the rest of the town twenty others, for 20 days; 15 % of the residents
    /// were skimmed (somewhere unseen, or at <paramref name="skimmedAtm"/> on day 6) and are reported on days 22 to 24.
    /// With <paramref name="alsoSkimmedAtNx"/>, the residents were skimmed somewhere unseen and, besides, that many others
    /// at ATM-NX on day 6, reported alike.
    /// </summary>
    private static async Task<(RecordingSink Sink, CompromiseEngine Engine)> RunAsync(CppOptions options, string? skimmedAtm = null, int alsoSkimmedAtNx = 0)
    {
        var sink = new RecordingSink();
        var engine = new CompromiseEngine(new InProcessWindowStore(), sink, options, AtmRegistry.Empty);
        var random = new Random(3);
        var residents = Enumerable.Range(0, Residents).Select(i => $"res-{i:D4}").ToList();
        var victims = residents.Where((_, i) => i % 7 == 0).ToList(); // 86 cards
        var visits = new List<Contracts.Transaction>();
        for (var day = 0; day < 20; day++)
        {
            foreach (var card in residents)
                if (random.NextDouble() < 0.3)
                    visits.Add(Build.Visit(card, $"ATM-N{random.Next(4)}", Build.T0.AddDays(day).AddHours(8 + random.Next(12))));
            for (var i = 0; i < Others; i++)
                if (random.NextDouble() < 0.3)
                    visits.Add(Build.Visit($"oth-{i:D5}", $"ATM-O{random.Next(20)}", Build.T0.AddDays(day).AddHours(8 + random.Next(12))));
        }
        if (skimmedAtm is not null)
            visits.AddRange(victims.Select((card, i) => Build.Visit(card, skimmedAtm, Build.T0.AddDays(6).AddHours(9).AddMinutes(i))));
        var nxVictims = residents.Where((_, i) => i % 7 == 3).Take(alsoSkimmedAtNx).ToList();
        visits.AddRange(nxVictims.Select((card, i) => Build.Visit(card, "ATM-NX", Build.T0.AddDays(6).AddHours(10).AddMinutes(i))));
        victims.AddRange(nxVictims);
        foreach (var visit in visits.OrderBy(v => v.Timestamp))
            await engine.ProcessAsync(visit);
        foreach (var (card, i) in victims.Select((c, i) => (c, i)))
            await engine.ProcessAsync(Build.Report(card, Build.T0.AddDays(21), Build.T0.AddDays(22).AddMinutes(40 * i)));
        await engine.FlushRescansAsync(Build.T0.AddDays(30));
        return (sink, engine);
    }

    [Fact]
    public async Task TheEchoOfAnUnseenSkimmerRaisesNoAlert()
    {
        var (sink, engine) = await RunAsync(new CppOptions());

        Assert.Empty(sink.Alerts);
        Assert.True(engine.Counters.LocalEchoes > 0, "the neighbourhood's ATMs were significant against the base rate, and held back as echoes");
    }

    [Fact]
    public async Task WithoutTheLocalTestTheEchoWouldBeFlagged()
    {
        // What the rule prevents: each neighbourhood ATM's excess is far beyond chance against the town's base rate.
        var (sink, _) = await RunAsync(new CppOptions { MinLocalRelativeRisk = 0, LocalAlpha = 1 });

        Assert.Contains(sink.Alerts, a => a.TerminalId.StartsWith("ATM-N", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASkimmerInTheNeighbourhoodStandsOutAndIsFlaggedAlone()
    {
        var (sink, _) = await RunAsync(new CppOptions(), skimmedAtm: "ATM-NX");

        Assert.Equal(["ATM-NX"], sink.Alerts.Select(a => a.TerminalId).Distinct());
    }

    [Fact]
    public async Task TheEchoDoesNotExplainAwayASkimmerAmongIt()
    {
        // The neighbourhood ATMs carry the unseen point's victims and the skimmer's, far more significant than the
        // skimmer's 20 cards, and most of those cards used them: before the echo was barred from explaining, they held
        // ATM-NX back for good and the skimmer went unflagged.
        var (sink, engine) = await RunAsync(new CppOptions(), alsoSkimmedAtNx: 20);

        Assert.Equal(["ATM-NX"], sink.Alerts.Select(a => a.TerminalId).Distinct());
        Assert.True(engine.Counters.LocalEchoes > 0, "the neighbourhood's ATMs were still held back as echoes");
    }
}
