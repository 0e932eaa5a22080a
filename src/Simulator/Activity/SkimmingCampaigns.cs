using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// The planted skimmers: each sits on one ATM for some days and captures a share of the cards read there; the
/// gang cashes the clones out in waves, days to weeks later, far away; banks report some of them.
/// </summary>
internal sealed class SkimmingCampaigns
{
    private readonly Timeline _timeline;
    private readonly CloneCashout _cashout;
    private readonly Dictionary<int, Skimmer> _byAtm = [];

    public IReadOnlyList<Skimmer> Skimmers { get; }

    public SkimmingCampaigns(Timeline timeline, CloneCashout cashout, IReadOnlySet<int> excludedAtms)
    {
        _timeline = timeline;
        _cashout = cashout;
        var options = timeline.Options;
        var rng = new Rng(options.Seed, stream: 2);
        var candidates = timeline.World.Terminals
            .Select((terminal, index) => (terminal, index))
            .Where(t => t.terminal.IsLocalAtm && !excludedAtms.Contains(t.index))
            .Select(t => t.index)
            .ToList();
        var skimmers = new List<Skimmer>();
        for (var i = 0; i < options.Skimmers && candidates.Count > 0; i++)
        {
            var atm = candidates[rng.Next(candidates.Count)];
            candidates.Remove(atm);
            var latestStart = Math.Max(1.0, options.Days * 0.6);
            var from = options.Start.AddSeconds(Math.Round(rng.Uniform(Math.Min(2, latestStart - 1), latestStart) * 86_400));
            var to = from.AddSeconds(Math.Round(rng.Uniform(3, 10) * 86_400));
            if (to > options.End)
                to = options.End;
            var waves = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ =>
            {
                var city = rng.Next(Places.CashoutCities.Length);
                return new CashoutWave(to.AddDays(rng.Uniform(1, 14)), CloneCashout.GangAtms(rng, timeline.World, city));
            }).ToArray();
            var skimmer = new Skimmer(i, atm, from, to, waves);
            skimmers.Add(skimmer);
            _byAtm[atm] = skimmer;
        }
        Skimmers = skimmers;
    }

    /// <summary>A card was read at an ATM: if a skimmer is active there, it may capture the card and plan its cash-out.</summary>
    public void CardRead(Rng rng, int cardIndex, int atm, long ticks)
    {
        if (!_byAtm.TryGetValue(atm, out var skimmer) || ticks < skimmer.From.UtcTicks || ticks >= skimmer.To.UtcTicks)
            return;
        var card = _timeline.World.Cards[cardIndex];
        if (card.Defrauded || !rng.Chance(_timeline.Options.CaptureRate))
            return;
        card.Defrauded = true;
        var capturedAt = new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        FraudCase? fraud = null;
        if (rng.Chance(_timeline.Options.CashoutRate))
        {
            var reportDelay = rng.Chance(_timeline.Options.ReportRate) ? TimeSpan.FromDays(rng.Uniform(1, 7)) : (TimeSpan?)null;
            fraud = new FraudCase(cardIndex, rng.Chance(0.9) ? FraudType.Counterfeit : FraudType.Other, $"skimmer:{skimmer.Index}", reportDelay);
            var wave = rng.Pick(skimmer.Waves);
            var first = Math.Max(wave.At.UtcTicks + (long)(rng.Uniform(0, 36) * TimeSpan.TicksPerHour), ticks + TimeSpan.TicksPerDay);
            _cashout.Plan(rng, fraud, wave.Atms, first);
        }
        skimmer.Captures.Add(new Capture(cardIndex, capturedAt, fraud));
    }
}

/// <summary>One planted skimmer and what it captured.</summary>
internal sealed record Skimmer(int Index, int Atm, DateTimeOffset From, DateTimeOffset To, CashoutWave[] Waves)
{
    public List<Capture> Captures { get; } = [];
}

/// <summary>A batch of clones cashed out together, from a time on, at a gang's ATMs.</summary>
internal sealed record CashoutWave(DateTimeOffset At, int[] Atms);

/// <summary>A card a skimmer captured, and its fraud case if the gang cashes it out.</summary>
internal sealed record Capture(int Card, DateTimeOffset CapturedAt, FraudCase? Fraud);
