using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>
/// One card transaction as a bank reports it (wire format v1). The card is known only by its token:
/// a PAN is tokenised at the edge and never travels further.
/// </summary>
public sealed record Transaction
{
    /// <summary>The wire format version; always <see cref="SchemaVersions.Current"/> when written.</summary>
    [JsonRequired]
    public int SchemaVersion { get; init; } = SchemaVersions.Current;

    /// <summary>The bank's own id of the transaction; unique per bank.</summary>
    public required string TxnId { get; init; }

    /// <summary>The bank that reported it, taken from its credentials, never from the body.</summary>
    public required string BankId { get; init; }

    /// <summary>HMAC-SHA256 token of the PAN (see <see cref="Cards.CardTokenizer"/>).</summary>
    public required string CardToken { get; init; }

    /// <summary>The first six digits of the PAN (the issuer), safe to show.</summary>
    public string? CardBin { get; init; }

    /// <summary>The last four digits of the PAN, safe to show.</summary>
    public string? CardLast4 { get; init; }

    /// <summary>The terminal (ATM, card reader or online merchant) the card was used at.</summary>
    public required string TerminalId { get; init; }

    /// <summary>What kind of terminal it is.</summary>
    public required TerminalType TerminalType { get; init; }

    /// <summary>When it happened, in UTC.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The amount in the currency's minor unit (paise for INR).</summary>
    public required long AmountMinor { get; init; }

    /// <summary>ISO 4217 currency code.</summary>
    public required string Currency { get; init; }

    /// <summary>How the card was read.</summary>
    public required EntryMode EntryMode { get; init; }

    /// <summary>What the transaction did.</summary>
    public required TxnType TxnType { get; init; }

    /// <summary>Whether the issuer approved it.</summary>
    public required bool Approved { get; init; }

    /// <summary>ISO 3166-1 alpha-2 code of the country the terminal is in.</summary>
    public required string Country { get; init; }

    /// <summary>Latitude of the terminal, when known.</summary>
    public double? Lat { get; init; }

    /// <summary>Longitude of the terminal, when known.</summary>
    public double? Lon { get; init; }

    /// <summary>True when the card itself was read at a terminal (ATM or POS), so it could have been skimmed there.</summary>
    [JsonIgnore]
    public bool IsCardPresent => TerminalType != TerminalType.Ecom
        && EntryMode is not (EntryMode.Ecom or EntryMode.Manual);
}
