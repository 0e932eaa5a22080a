using MathNet.Numerics;
using SkimGuard.Contracts;

namespace SkimGuard.Simulator.Scoring;

/// <summary>
/// The fastest a statistical test could flag a skimmer, knowing what no detector knows: the true terminal and the
/// skimmer's start. At every moment a card of its visitors becomes known compromised, it tries every window from the
/// start to a later visit: n = the window's distinct visitors, k = those already known compromised, against the base
/// rate as it stands then (cards known compromised / cards active so far). The first moment a window's Poisson tail
/// P(X ≥ k | n × rate) falls below 1e-6 is the oracle's flag.
/// <para>
/// A card is known compromised at its first stripe-read ATM withdrawal abroad (a clone's cash-out is plain at once) or
/// when a counterfeit report on it arrives, whichever comes first. The tail is MathNet's regularised incomplete gamma,
/// not the engine's code, so a mistake in the engine's statistics cannot fool its judge.
/// </para>
/// </summary>
public sealed class DetectionOracle
{
    /// <summary>The oracle flags below this tail probability.</summary>
    public const double FlagBelow = 1e-6;

    private readonly Dictionary<string, DateTimeOffset> _firstActive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _knownAt = new(StringComparer.Ordinal);
    private long[]? _activeTimes;
    private long[]? _knownTimes;

    /// <summary>Sees one transaction, in event-time order.</summary>
    public void Observe(Transaction tx)
    {
        if (!tx.IsCardPresent)
            return;
        _firstActive.TryAdd(tx.CardToken, tx.Timestamp);
        if (tx is { TerminalType: TerminalType.Atm, TxnType: TxnType.Withdrawal, EntryMode: EntryMode.Magstripe or EntryMode.Fallback } && tx.Country != "IN")
            Know(tx.CardToken, tx.Timestamp);
    }

    /// <summary>Sees one fraud report, when it arrives.</summary>
    public void Observe(FraudReport report)
    {
        if (report.FraudType == FraudType.Counterfeit)
            Know(report.CardToken, report.ReportedAt);
    }

    private void Know(string card, DateTimeOffset at)
    {
        if (!_knownAt.TryGetValue(card, out var known) || at < known)
            _knownAt[card] = at;
        _activeTimes = _knownTimes = null;
    }

    /// <summary>When a card became known compromised, if it did.</summary>
    public DateTimeOffset? KnownAt(string card) => _knownAt.TryGetValue(card, out var at) ? at : null;

    /// <summary>The base rate at a moment: cards known compromised by then over cards active by then.</summary>
    public double BaseRateAt(DateTimeOffset at)
    {
        _activeTimes ??= [.. _firstActive.Values.Select(t => t.UtcTicks).Order()];
        _knownTimes ??= [.. _knownAt.Values.Select(t => t.UtcTicks).Order()];
        var active = CountUpTo(_activeTimes, at.UtcTicks);
        return active == 0 ? 0 : CountUpTo(_knownTimes, at.UtcTicks) / (double)active;
    }

    /// <summary>
    /// The oracle's flag for a skimmer whose visitors (each card's first visit while it was fitted) are given, or null
    /// when no window ever passes inside the data.
    /// </summary>
    public DateTimeOffset? FlagTime(IReadOnlyDictionary<string, DateTimeOffset> firstVisits)
    {
        var visits = firstVisits.Select(v => (At: v.Value, Known: KnownAt(v.Key))).OrderBy(v => v.At).ToList();
        foreach (var moment in visits.Where(v => v.Known is not null).Select(v => v.Known!.Value).Distinct().Order())
        {
            var rate = BaseRateAt(moment);
            var (n, k) = (0, 0);
            foreach (var (at, known) in visits)
            {
                if (at > moment)
                    break;
                n++;
                if (known is not { } knownAt || knownAt > moment)
                    continue;
                k++;
                if (PoissonAtLeast(k, n * rate) < FlagBelow)
                    return moment;
            }
        }
        return null;
    }

    /// <summary>P(X ≥ k) for X Poisson with mean <paramref name="mean"/>: the regularised lower incomplete gamma P(k, mean).</summary>
    public static double PoissonAtLeast(int k, double mean) =>
        k <= 0 ? 1 : mean <= 0 ? 0 : SpecialFunctions.GammaLowerRegularized(k, mean);

    private static int CountUpTo(long[] sorted, long ticks)
    {
        var at = Array.BinarySearch(sorted, ticks);
        if (at < 0)
            return ~at;
        while (at + 1 < sorted.Length && sorted[at + 1] == ticks)
            at++;
        return at + 1;
    }
}
