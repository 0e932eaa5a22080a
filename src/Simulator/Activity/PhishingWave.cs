using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// The trap: for a few days a phishing wave empties accounts in one neighbourhood. Its victims share their local
/// ATMs, as a skimmer's would, but no ATM is to blame: their fraud is account takeover and card-not-present.
/// </summary>
internal sealed class PhishingWave
{
    private const double VictimShare = 0.12;
    private const int WaveDays = 3;

    private readonly Timeline _timeline;

    public int Locality { get; }
    public int FirstDay { get; }
    public int Victims => Cases.Count;

    /// <summary>Every victim's case, for the ground truth.</summary>
    public List<FraudCase> Cases { get; } = [];

    /// <summary>The ATMs of the hit neighbourhood: a skimmer is never planted there, so any flag on them is false.</summary>
    public IReadOnlySet<int> LocalAtms { get; }

    public PhishingWave(Timeline timeline)
    {
        _timeline = timeline;
        var rng = new Rng(timeline.Options.Seed, stream: 3);
        var stationLocalities = Places.Stations.Select(s => s.Locality).ToHashSet();
        var candidates = Enumerable.Range(0, Places.Localities.Length).Where(i => !stationLocalities.Contains(Places.Localities[i].Name)).ToList();
        Locality = rng.Pick(candidates);
        FirstDay = Math.Max(0, timeline.Options.Days / 3 + rng.Next(Math.Max(1, timeline.Options.Days / 6)));
        LocalAtms = timeline.World.LocalAtms[Locality].Atms.ToHashSet();
    }

    public DateTimeOffset From => _timeline.Options.Start.AddDays(FirstDay);
    public DateTimeOffset To => From.AddDays(WaveDays);

    public void Day(Rng rng, int day)
    {
        if (day < FirstDay || day >= FirstDay + WaveDays)
            return;
        var world = _timeline.World;
        for (var cardIndex = 0; cardIndex < world.Cards.Count; cardIndex++)
        {
            var card = world.Cards[cardIndex];
            // Each resident is at risk once over the wave's days.
            if (card.Home != Locality || card.Defrauded || !rng.Chance(VictimShare / WaveDays))
                continue;
            card.Defrauded = true;
            var roll = rng.NextDouble();
            var reportedAs = roll < 0.70 ? FraudType.AccountTakeover : roll < 0.95 ? FraudType.CardNotPresent : FraudType.Other;
            var delay = ReportDelay.Draw(rng, _timeline.Options, 1, 5);
            var fraud = new FraudCase(cardIndex, reportedAs, "phishing_wave", delay);
            Cases.Add(fraud);
            var at = _timeline.TimeOfDay(rng, day);
            if (reportedAs == FraudType.CardNotPresent)
                _timeline.Plan(at, cardIndex, rng.Pick(world.EcomMerchants), (long)(rng.LogNormal(Math.Log(8000), 0.5) * 100), EntryMode.Ecom, TxnType.Purchase, true, fraud);
            else
                NoiseFraud.AccountTakeover(rng, _timeline, fraud, at);
        }
    }
}
