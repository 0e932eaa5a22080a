using SkimGuard.Contracts;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// Early evidence, days before a bank's report: an ATM withdrawal read from the magnetic stripe (swiped or after a
/// chip fallback) far from every place the card was used before. Genuine cards are read by chip; a clone made from a
/// skimmed stripe cannot be, and gangs cash clones out far from the victims. The withdrawal amount is not used:
/// feeds in foreign currencies carry no rate to compare it with the limit.
/// </summary>
public static class CounterfeitSignature
{
    /// <summary>
    /// True for a stripe-read ATM withdrawal: the part of the signature the transaction alone shows. Only these few
    /// need the card's history, so the hot path reads no history for the rest.
    /// </summary>
    public static bool IsCandidate(Transaction tx) =>
        tx is { TerminalType: TerminalType.Atm, TxnType: TxnType.Withdrawal, EntryMode: EntryMode.Magstripe or EntryMode.Fallback };

    /// <summary>True when the transaction looks like a clone's cash-out, judged against the card's earlier visits only.</summary>
    public static bool Matches(Transaction tx, CardHistory history, CppOptions options)
    {
        if (!IsCandidate(tx))
            return false;
        var known = history.Visits.Where(v => v.Time < tx.Timestamp && v.Lat is not null).ToList();
        if (known.Count < options.SignatureMinHistory)
            return false;
        if (!known.Any(v => v.Country == tx.Country))
            return true;
        if (tx.Lat is not { } lat || tx.Lon is not { } lon)
            return false;
        return known.All(v => Geo.DistanceKm(lat, lon, v.Lat!.Value, v.Lon!.Value) >= options.SignatureDistanceKm);
    }
}
