using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// What residents do with their cards on an ordinary day: cash from their usual ATMs, shopping near home and work,
/// a little online, and now and then a trip where the card is used by chip far from home.
/// </summary>
internal sealed class LegitimateActivity(Timeline timeline, SkimmingCampaigns skimmers)
{
    private static readonly int[] WithdrawalRupees = [500, 1000, 2000, 3000, 5000, 10000];
    private static readonly double[] WithdrawalWeights = SimWorld.Cumulative([15, 25, 25, 10, 15, 10]);
    private const double TripChancePerDay = 0.003;

    private readonly SimWorld _world = timeline.World;

    public void Day(Rng rng, int day, int cardIndex)
    {
        var card = _world.Cards[cardIndex];
        if (card.TripCity < 0 && rng.Chance(TripChancePerDay))
        {
            card.TripCity = rng.Next(Places.TravelCities.Length);
            card.TripLastDay = day + 1 + rng.Next(4);
        }
        if (card.TripCity >= 0)
        {
            Travel(rng, day, cardIndex, card);
            if (day >= card.TripLastDay)
                card.TripCity = -1;
        }
        else
        {
            for (var n = rng.Poisson(card.AtmRate); n > 0; n--)
                AtmVisit(rng, day, cardIndex, card);
            for (var n = rng.Poisson(card.PosRate); n > 0; n--)
                Purchase(rng, day, cardIndex, LocalShop(rng, card));
        }
        for (var n = rng.Poisson(card.EcomRate); n > 0; n--)
        {
            var merchant = rng.Pick(_world.EcomMerchants);
            timeline.Plan(timeline.TimeOfDay(rng, day), cardIndex, merchant, (long)(rng.LogNormal(Math.Log(900), 1.0) * 100) + 100,
                EntryMode.Ecom, TxnType.Purchase, approved: rng.Chance(0.97));
        }
    }

    private void AtmVisit(Rng rng, int day, int cardIndex, Card card)
    {
        int atm;
        if (rng.Chance(0.85))
            atm = rng.Pick(card.FavouriteAtms);
        else
        {
            var (atms, weights) = _world.LocalAtms[card.Home];
            atm = atms[rng.Weighted(weights)];
        }
        var at = timeline.TimeOfDay(rng, day);
        var roll = rng.NextDouble();
        var entry = roll < 0.97 ? EntryMode.Chip : roll < 0.99 ? EntryMode.Fallback : EntryMode.Magstripe;
        if (rng.Chance(0.2))
            timeline.Plan(at, cardIndex, atm, 0, entry, TxnType.BalanceInquiry, approved: true);
        else
            timeline.Plan(at, cardIndex, atm, WithdrawalRupees[rng.Weighted(WithdrawalWeights)] * 100L, entry, TxnType.Withdrawal, approved: rng.Chance(0.98));
        skimmers.CardRead(rng, cardIndex, atm, at);
    }

    private int LocalShop(Rng rng, Card card)
    {
        var (shops, weights) = _world.LocalPos[rng.Chance(0.7) ? card.Home : card.Work];
        return shops[rng.Weighted(weights)];
    }

    private void Purchase(Rng rng, int day, int cardIndex, int shop)
    {
        var roll = rng.NextDouble();
        var entry = roll < 0.40 ? EntryMode.Contactless : roll < 0.95 ? EntryMode.Chip : roll < 0.98 ? EntryMode.Magstripe : EntryMode.Fallback;
        var rupees = Math.Max(10, rng.LogNormal(Math.Log(500), 0.9));
        var at = timeline.TimeOfDay(rng, day);
        timeline.Plan(at, cardIndex, shop, Timeline.Minor(_world.Terminals[shop], rupees, 0.01), entry, TxnType.Purchase, approved: rng.Chance(0.98));
        skimmers.CardRead(rng, cardIndex, shop, at); // a shimmer, when the POS-skimmer family planted one here
    }

    private void Travel(Rng rng, int day, int cardIndex, Card card)
    {
        for (var n = rng.Poisson(card.AtmRate * 1.5); n > 0; n--)
        {
            var atm = rng.Pick(_world.TravelAtms[card.TripCity]);
            timeline.Plan(timeline.TimeOfDay(rng, day), cardIndex, atm, WithdrawalRupees[rng.Weighted(WithdrawalWeights)] * 100L, EntryMode.Chip, TxnType.Withdrawal, approved: rng.Chance(0.98));
        }
        for (var n = rng.Poisson(card.PosRate * 1.5); n > 0; n--)
            Purchase(rng, day, cardIndex, rng.Pick(_world.TravelPos[card.TripCity]));
    }
}
