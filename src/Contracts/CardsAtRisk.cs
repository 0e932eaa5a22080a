using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>
/// One bank's cards that used a flagged terminal inside the estimated skimmer period and show no fraud yet
/// (wire format v1). Keyed by bank: a bank receives only its own cards.
/// </summary>
public sealed record CardsAtRisk
{
    /// <summary>The wire format version.</summary>
    [JsonRequired]
    public int SchemaVersion { get; init; } = SchemaVersions.Current;

    /// <summary>The alert these cards belong to.</summary>
    public required string AlertId { get; init; }

    /// <summary>The flagged terminal.</summary>
    public required string TerminalId { get; init; }

    /// <summary>The bank that issued every card in <see cref="CardTokens"/>.</summary>
    public required string BankId { get; init; }

    /// <summary>Event time at which this list was issued.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>Start of the estimated skimmer period.</summary>
    public required DateTimeOffset WindowFrom { get; init; }

    /// <summary>End of the estimated skimmer period.</summary>
    public required DateTimeOffset WindowTo { get; init; }

    /// <summary>The cards to block or reissue.</summary>
    public required IReadOnlyList<string> CardTokens { get; init; }
}
