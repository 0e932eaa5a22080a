using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// How a gang turns a cloned card into cash: one to three withdrawals near the daily limit within a couple of hours,
/// by magstripe or chip fallback, at ATMs far from the card's home. This is the counterfeit signature.
/// </summary>
internal sealed class CloneCashout(Timeline timeline)
{
    /// <summary>Ten thousand rupees: the most one withdrawal gives at most Indian ATMs.</summary>
    private const double WithdrawalLimitRupees = 10_000;

    public void Plan(Rng rng, FraudCase fraud, int[] atms, long firstAt)
    {
        var at = firstAt;
        var withdrawals = 1 + rng.Next(3);
        for (var i = 0; i < withdrawals; i++)
        {
            var atm = rng.Pick(atms);
            // Cash-out places: an ATM of a bank that is no partner, in an Indian city, in no registry and without coordinates.
            if (timeline.Options.UnlistedCashoutShare > 0 && rng.Chance(timeline.Options.UnlistedCashoutShare))
                atm = rng.Pick(timeline.World.UnlistedAtms);
            var terminal = timeline.World.Terminals[atm];
            var entry = rng.Chance(0.7) ? EntryMode.Magstripe : EntryMode.Fallback;
            // Later withdrawals run into the card's daily limit and are declined now and then.
            var approved = i == 0 || rng.Chance(0.7);
            timeline.Plan(at, fraud.Card, atm, Timeline.Minor(terminal, WithdrawalLimitRupees * rng.Uniform(0.8, 1.0), 100), entry, TxnType.Withdrawal, approved, fraud);
            at += (long)(rng.Uniform(2, 20) * TimeSpan.TicksPerMinute);
        }
    }

    /// <summary>Three ATMs of a city that one gang uses for one wave of cash-outs.</summary>
    public static int[] GangAtms(Rng rng, SimWorld world, int city) =>
        [.. Enumerable.Range(0, 3).Select(_ => rng.Pick(world.CashoutAtms[city]))];
}
