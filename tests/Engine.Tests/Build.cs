using SkimGuard.Contracts;

namespace SkimGuard.Engine.Tests;

/// <summary>Builders for test events: a card used at a terminal, a fraud report.</summary>
internal static class Build
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static long _txn;

    public static Transaction Visit(string card, string terminal, DateTimeOffset at, string bank = "sbi", TerminalType type = TerminalType.Atm,
        EntryMode entry = EntryMode.Chip, double lat = 19.30, double lon = 72.85, string country = "IN", TxnType txnType = TxnType.Withdrawal) => new()
    {
        TxnId = $"t{Interlocked.Increment(ref _txn)}",
        BankId = bank,
        CardToken = card,
        TerminalId = terminal,
        TerminalType = type,
        Timestamp = at,
        AmountMinor = 200_000,
        Currency = "INR",
        EntryMode = entry,
        TxnType = type == TerminalType.Atm ? txnType : TxnType.Purchase,
        Approved = true,
        Country = country,
        Lat = lat,
        Lon = lon,
    };

    /// <summary>A clone's cash-out in Delhi by magstripe.</summary>
    public static Transaction Cashout(string card, DateTimeOffset at, string bank = "sbi") =>
        Visit(card, "ATM-DEL-001", at, bank, entry: EntryMode.Magstripe, lat: 28.61, lon: 77.21);

    public static FraudReport Report(string card, DateTimeOffset firstFraud, DateTimeOffset reportedAt, FraudType type = FraudType.Counterfeit, string bank = "sbi") => new()
    {
        ReportId = $"r-{card}-{reportedAt.UtcTicks}",
        BankId = bank,
        CardToken = card,
        ReportedAt = reportedAt,
        FraudType = type,
        FirstFraudAt = firstFraud,
    };
}
