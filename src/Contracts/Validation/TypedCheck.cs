using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SkimGuard.Contracts.Validation;

/// <summary>
/// The readers' fast path: strict deserialisation (exact field names and enum words, no unknown fields), then the value
/// rules on the typed record. Three times faster than walking a JsonDocument; any record it does not accept goes to the
/// thorough path, which says what is wrong. Reports are deserialised here by the source-generated contract;
/// transactions, read far more often, by <see cref="Json.TransactionJsonReader"/>, with the rules and the PAN check here.
/// </summary>
internal static class TypedCheck
{
    /// <summary>The record when the fast path accepts it (no PAN to tokenise, strict deserialisation, every rule kept), else null.</summary>
    public static T? TryFast<T>(ReadOnlyMemory<byte> utf8, ReadContext context, JsonTypeInfo<T> typeInfo, Func<T, ReadContext, bool> isValid) where T : class =>
        (context.Tokenizer is null || !MentionsPan(utf8)) && TryDeserialize(utf8, typeInfo) is { } record && isValid(record, context) ? record : null;

    public static T? TryDeserialize<T>(ReadOnlyMemory<byte> utf8, JsonTypeInfo<T> typeInfo) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(utf8.Span, typeInfo);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // the thorough path names the problem (InvalidOperationException: an escaped lone surrogate)
        }
    }

    public static bool IsValid(Transaction tx, ReadContext context) =>
        tx.SchemaVersion == SchemaVersions.Current
        && Rules.IsId(tx.TxnId) && Rules.IsId(tx.BankId) && Rules.IsId(tx.TerminalId)
        && (context.AuthenticatedBankId is null || context.AuthenticatedBankId == tx.BankId)
        && Rules.IsId(tx.CardToken, Rules.MaxTokenLength)
        && (tx.CardBin is null || Rules.IsDigits(tx.CardBin, 6, 8)) && (tx.CardLast4 is null || Rules.IsDigits(tx.CardLast4, 4))
        && Rules.IsTimeAllowed(tx.Timestamp, context)
        && tx.AmountMinor is >= 0 and <= TransactionReader.MaxAmountMinor
        && IsoCodes.Currencies.Contains(tx.Currency) && IsoCodes.Countries.Contains(tx.Country)
        && (tx.Lat is null) == (tx.Lon is null) && Rules.InRange(tx.Lat, -90, 90) && Rules.InRange(tx.Lon, -180, 180);

    public static bool IsValid(FraudReport report, ReadContext context) =>
        report.SchemaVersion == SchemaVersions.Current
        && Rules.IsId(report.ReportId) && Rules.IsId(report.BankId)
        && (context.AuthenticatedBankId is null || context.AuthenticatedBankId == report.BankId)
        && Rules.IsId(report.CardToken, Rules.MaxTokenLength)
        && Rules.IsTimeAllowed(report.ReportedAt, context)
        && (report.FirstFraudAt is not { } first || (Rules.IsTimeAllowed(first, context) && first <= report.ReportedAt))
        && (report.FraudTxnIds is null || (report.FraudTxnIds.Count <= FraudReportReader.MaxFraudTxnIds && report.FraudTxnIds.All(id => Rules.IsId(id))));

    /// <summary>A record carrying a "pan" field must take the thorough path, which tokenises or refuses it.</summary>
    public static bool MentionsPan(ReadOnlyMemory<byte> utf8) => utf8.Span.IndexOf("\"pan\""u8) >= 0;
}
