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
    /// <summary>True when the transaction looks like a clone's cash-out, judged against the card's earlier visits only.</summary>
    public static bool Matches(Transaction tx, CardHistory history, CppOptions options)
    {
        if (tx.TerminalType != TerminalType.Atm || tx.TxnType != TxnType.Withdrawal || tx.EntryMode is not (EntryMode.Magstripe or EntryMode.Fallback))
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
