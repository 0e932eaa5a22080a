using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>A bank's confirmation that a card was used fraudulently (wire format v1).</summary>
public sealed record FraudReport
{
    /// <summary>The wire format version.</summary>
    [JsonRequired]
    public int SchemaVersion { get; init; } = SchemaVersions.Current;

    /// <summary>The bank's own id of the report; unique per bank.</summary>
    public required string ReportId { get; init; }

    /// <summary>The reporting bank, from its credentials.</summary>
    public required string BankId { get; init; }

    /// <summary>The compromised card's token.</summary>
    public required string CardToken { get; init; }

    /// <summary>When the bank filed the report. The detector may use a report only from this moment on.</summary>
    public required DateTimeOffset ReportedAt { get; init; }

    /// <summary>What kind of fraud it was.</summary>
    public required FraudType FraudType { get; init; }

    /// <summary>When the first fraudulent transaction happened, when the bank knows.</summary>
    public DateTimeOffset? FirstFraudAt { get; init; }

    /// <summary>The bank's ids of the fraudulent transactions, when known.</summary>
    public IReadOnlyList<string>? FraudTxnIds { get; init; }
}
