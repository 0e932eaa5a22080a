using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// The planted skimmers: each sits on one ATM (or, with POS skimmers, one shop's reader) for some days and captures a
/// share of the cards read there; the gang cashes the clones out in waves, days to weeks later, far away, or one by one
/// over weeks (the trickle); banks report some of them. Unobserved compromise points capture cards the same way at a
/// place no partner's feed contains.
/// </summary>
internal sealed class SkimmingCampaigns
{
    private readonly Timeline _timeline;
    private readonly CloneCashout _cashout;
    private readonly Dictionary<int, Skimmer> _byTerminal = [];

    /// <summary>The skimmers on terminals that the feeds contain: ATM skimmers first, then POS skimmers.</summary>
    public IReadOnlyList<Skimmer> Skimmers { get; }

    /// <summary>The compromise points no feed contains, each in one neighbourhood.</summary>
    public IReadOnlyList<Skimmer> Unobserved { get; }

    /// <param name="hubAtms">For each hub, the ATMs of its neighbourhood: two skimmers go there, in the same weeks.</param>
    /// <param name="unobservedLocalities">Where the unobserved compromise points are.</param>
    public SkimmingCampaigns(Timeline timeline, CloneCashout cashout, IReadOnlySet<int> excludedAtms, IReadOnlyList<int[]> hubAtms, IReadOnlyList<int> unobservedLocalities)
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
            var nearHub = i / 2 < hubAtms.Count ? hubAtms[i / 2].Where(candidates.Contains).ToList() : [];
            var atm = nearHub.Count > 0 ? nearHub[rng.Next(nearHub.Count)] : candidates[rng.Next(candidates.Count)];
            candidates.Remove(atm);
            // The second skimmer of a hub starts within days of the first, so their victims meet at the hub in the same weeks.
            var (from, to) = i % 2 == 1 && nearHub.Count > 0 ? Near(rng, skimmers[^1].From) : Period(rng);
            var skimmer = new Skimmer(i, atm, timeline.World.Terminals[atm].Locality, from, to, Waves(rng));
            skimmers.Add(skimmer);
            _byTerminal[atm] = skimmer;
        }
        // The families' draws come from streams of their own: the original world's skimmers are unchanged.
        var posRng = new Rng(options.Seed, stream: 14);
        var shops = timeline.World.LocalPos.SelectMany(l => l.Pos).Distinct().ToList();
        for (var i = 0; i < options.PosSkimmers; i++)
        {
            var shop = shops[posRng.Next(shops.Count)];
            if (_byTerminal.ContainsKey(shop))
                continue;
            var (from, to) = Period(posRng);
            var skimmer = new Skimmer(skimmers.Count, shop, timeline.World.Terminals[shop].Locality, from, to, Waves(posRng));
            skimmers.Add(skimmer);
            _byTerminal[shop] = skimmer;
        }
        Skimmers = skimmers;
        var hiddenRng = new Rng(options.Seed, stream: 15);
        Unobserved = [.. unobservedLocalities.Select((locality, i) =>
        {
            var (from, to) = Period(hiddenRng);
            return new Skimmer(i, -1, locality, from, to, Waves(hiddenRng));
        })];
    }

    private (DateTimeOffset From, DateTimeOffset To) Period(Rng rng)
    {
        var options = _timeline.Options;
        var latestStart = Math.Max(1.0, options.Days * 0.6);
        var from = options.Start.AddSeconds(Math.Round(rng.Uniform(Math.Min(2, latestStart - 1), latestStart) * 86_400));
        var to = from.AddSeconds(Math.Round(rng.Uniform(3, 10) * 86_400));
        return (from, to > options.End ? options.End : to);
    }

    private (DateTimeOffset From, DateTimeOffset To) Near(Rng rng, DateTimeOffset other)
    {
        var from = other.AddSeconds(Math.Round(rng.Uniform(0, 4) * 86_400));
        var to = from.AddSeconds(Math.Round(rng.Uniform(5, 10) * 86_400));
        return (from, to > _timeline.Options.End ? _timeline.Options.End : to);
    }

    private CashoutWave[] Waves(Rng rng) => [.. Enumerable.Range(0, 1 + rng.Next(3)).Select(_ =>
    {
        var city = rng.Next(Places.CashoutCities.Length);
        return new CashoutWave(rng.Uniform(1, 14), CloneCashout.GangAtms(rng, _timeline.World, city));
    })];

    /// <summary>A card was read at a terminal: if a skimmer is active there, it may capture the card and plan its cash-out.</summary>
    public void CardRead(Rng rng, int cardIndex, int terminal, long ticks)
    {
        if (_byTerminal.TryGetValue(terminal, out var skimmer))
            Capture(rng, cardIndex, skimmer, ticks);
    }

    /// <summary>The skimmer reads the card while it is active: captured at the capture rate, cashed out at the cash-out rate.</summary>
    public void Capture(Rng rng, int cardIndex, Skimmer skimmer, long ticks)
    {
        if (ticks < skimmer.From.UtcTicks || ticks >= skimmer.To.UtcTicks)
            return;
        var card = _timeline.World.Cards[cardIndex];
        var options = _timeline.Options;
        if (card.Defrauded || !rng.Chance(options.CaptureRate))
            return;
        card.Defrauded = true;
        var capturedAt = new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        FraudCase? fraud = null;
        if (rng.Chance(options.CashoutRate))
        {
            var reportDelay = ReportDelay.Draw(rng, options, 1, 7);
            fraud = new FraudCase(cardIndex, rng.Chance(0.9) ? FraudType.Counterfeit : FraudType.Other, $"skimmer:{skimmer.Index}", reportDelay);
            var wave = rng.Pick(skimmer.Waves);
            long first;
            if (options.TrickleShare > 0 && rng.Chance(options.TrickleShare))
                first = ticks + TimeSpan.TicksPerDay + (long)(Math.Min(41, rng.LogNormal(Math.Log(9), 0.8)) * TimeSpan.TicksPerDay);
            else
                first = Math.Max(skimmer.To.AddDays(wave.DaysAfterEnd).UtcTicks + (long)(rng.Uniform(0, 36) * TimeSpan.TicksPerHour), ticks + TimeSpan.TicksPerDay);
            _cashout.Plan(rng, fraud, wave.Atms, first);
        }
        skimmer.Captures.Add(new Capture(cardIndex, capturedAt, fraud));
    }
}

/// <summary>One skimmer and what it captured; <paramref name="Terminal"/> is -1 for a compromise point no feed contains.</summary>
internal sealed record Skimmer(int Index, int Terminal, int Locality, DateTimeOffset From, DateTimeOffset To, CashoutWave[] Waves)
{
    public List<Capture> Captures { get; } = [];
}

/// <summary>A batch of clones cashed out together, from this many days after the skimmer's end on, at a gang's ATMs.</summary>
internal sealed record CashoutWave(double DaysAfterEnd, int[] Atms);

/// <summary>A card a skimmer captured, and its fraud case if the gang cashes it out.</summary>
internal sealed record Capture(int Card, DateTimeOffset CapturedAt, FraudCase? Fraud);
