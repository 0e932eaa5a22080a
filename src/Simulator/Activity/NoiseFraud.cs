using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// Fraud that is not local skimming, as background the detector must not mistake for it: cards skimmed somewhere
/// else (counterfeit, but no common local ATM), card-not-present fraud, lost or stolen cards, account takeover.
/// </summary>
internal sealed class NoiseFraud(Timeline timeline, CloneCashout cashout)
{
    private static readonly string[] Kinds = ["counterfeit_elsewhere", "card_not_present", "lost_stolen", "account_takeover"];
    private static readonly double[] KindWeights = SimWorld.Cumulative([0.2, 0.5, 0.15, 0.15]);

    private readonly SimWorld _world = timeline.World;

    public Dictionary<string, int> Counts { get; } = Kinds.ToDictionary(k => k, _ => 0);

    /// <summary>Every case, for the ground truth.</summary>
    public List<FraudCase> Cases { get; } = [];

    public void Day(Rng rng, int day)
    {
        for (var n = rng.Poisson(timeline.Options.NoiseFraudRate * _world.Cards.Count); n > 0; n--)
        {
            var cardIndex = rng.Next(_world.Cards.Count);
            var card = _world.Cards[cardIndex];
            if (card.Defrauded)
                continue;
            card.Defrauded = true;
            var kind = Kinds[rng.Weighted(KindWeights)];
            Counts[kind]++;
            var at = timeline.TimeOfDay(rng, day);
            switch (kind)
            {
                case "counterfeit_elsewhere":
                    var city = rng.Next(Places.CashoutCities.Length);
                    cashout.Plan(rng, Case(rng, cardIndex, FraudType.Counterfeit, kind, 1, 7), CloneCashout.GangAtms(rng, _world, city), at);
                    break;
                case "card_not_present":
                    var cnp = Case(rng, cardIndex, FraudType.CardNotPresent, kind, 2, 10);
                    for (var i = 1 + rng.Next(4); i > 0; i--, at += (long)(rng.Uniform(5, 240) * TimeSpan.TicksPerMinute))
                        timeline.Plan(at, cardIndex, rng.Pick(_world.EcomMerchants), (long)(rng.LogNormal(Math.Log(3000), 0.8) * 100), EntryMode.Ecom, TxnType.Purchase, true, cnp);
                    break;
                case "lost_stolen":
                    var stolen = Case(rng, cardIndex, FraudType.LostStolen, kind, 1, 3);
                    var (shops, weights) = _world.LocalPos[card.Home];
                    for (var i = 1 + rng.Next(3); i > 0; i--, at += (long)(rng.Uniform(5, 90) * TimeSpan.TicksPerMinute))
                        timeline.Plan(at, cardIndex, shops[rng.Weighted(weights)], (long)(rng.LogNormal(Math.Log(2500), 0.5) * 100), EntryMode.Contactless, TxnType.Purchase, true, stolen);
                    break;
                default:
                    AccountTakeover(rng, timeline, Case(rng, cardIndex, FraudType.AccountTakeover, kind, 1, 5), at);
                    break;
            }
        }
    }

    /// <summary>Money moved out through online transfers, the way phishing and SIM-swap gangs do it.</summary>
    public static void AccountTakeover(Rng rng, Timeline timeline, FraudCase fraud, long at)
    {
        for (var i = 1 + rng.Next(2); i > 0; i--, at += (long)(rng.Uniform(1, 30) * TimeSpan.TicksPerMinute))
            timeline.Plan(at, fraud.Card, timeline.World.TransferChannel, (long)rng.Uniform(20_000, 90_000) * 100, EntryMode.Ecom, TxnType.Transfer, true, fraud);
    }

    private FraudCase Case(Rng rng, int card, FraudType type, string origin, double minDelayDays, double maxDelayDays)
    {
        var fraud = new FraudCase(card, type, origin, ReportDelay.Draw(rng, timeline.Options, minDelayDays, maxDelayDays));
        Cases.Add(fraud);
        return fraud;
    }
}
