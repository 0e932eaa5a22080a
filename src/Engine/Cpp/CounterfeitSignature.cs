using SkimGuard.Contracts;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// Early evidence, days before a bank's report: an ATM withdrawal read from the magnetic stripe (swiped or after a
/// chip fallback) far from every place the card was used before. Genuine cards are read by chip; a clone made from a
/// skimmed stripe cannot be, and gangs cash clones out far from the victims. The withdrawal amount is not used:
/// feeds in foreign currencies carry no rate to compare it with the limit. A stripe-read withdrawal at an ATM whose place
/// is unknown (no coordinates, not in the registry) counts too, with less weight.
/// </summary>
public static class CounterfeitSignature
{
    /// <summary>
    /// True for a stripe-read ATM withdrawal: the part of the signature the transaction alone shows. Only these few
    /// need the card's history, so the hot path reads no history for the rest.
    /// </summary>
    public static bool IsCandidate(Transaction tx) =>
        tx is { TerminalType: TerminalType.Atm, TxnType: TxnType.Withdrawal, EntryMode: EntryMode.Magstripe or EntryMode.Fallback };

    /// <summary>
    /// How strongly the transaction looks like a clone's cash-out, judged against the card's earlier visits only: the
    /// signature's weight when it is far from every earlier place (or in another country); the unlocated weight when the
    /// ATM has no coordinates and is in no registry (a non-partner bank's ATM, whose place is unknown); else 0.
    /// </summary>
    public static double WeightOf(Transaction tx, CardHistory history, CppOptions options, Contracts.Registry.AtmRegistry registry)
    {
        if (!IsCandidate(tx))
            return 0;
        var known = history.Visits.Where(v => v.Time < tx.Timestamp && v.Lat is not null).ToList();
        if (known.Count < options.SignatureMinHistory)
            return 0;
        if (!known.Any(v => v.Country == tx.Country))
            return options.CounterfeitSignatureWeight;
        if (tx.Lat is not { } lat || tx.Lon is not { } lon)
            return registry.Find(tx.TerminalId) is null ? options.UnlocatedCashoutWeight : 0;
        return known.All(v => Geo.DistanceKm(lat, lon, v.Lat!.Value, v.Lon!.Value) >= options.SignatureDistanceKm) ? options.CounterfeitSignatureWeight : 0;
    }
}
