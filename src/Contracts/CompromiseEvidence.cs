namespace SkimGuard.Contracts;

/// <summary>One compromised card behind an alert: its visit to the flagged terminal and its fraud.</summary>
public sealed record CompromiseEvidence
{
    /// <summary>The card's token.</summary>
    public required string CardToken { get; init; }

    /// <summary>The card's issuing bank.</summary>
    public required string BankId { get; init; }

    /// <summary>When the card used the flagged terminal.</summary>
    public required DateTimeOffset VisitedAt { get; init; }

    /// <summary>What marked the card as compromised: a fraud report, a counterfeit-looking transaction, or the model.</summary>
    public required string Signal { get; init; }

    /// <summary>The reported fraud type, when a report marked it.</summary>
    public FraudType? FraudType { get; init; }

    /// <summary>How much this card counts towards k (1 for a counterfeit report, less for weaker evidence).</summary>
    public required double Weight { get; init; }

    /// <summary>When the card's fraud started.</summary>
    public required DateTimeOffset FirstFraudAt { get; init; }

    /// <summary>The terminal of the first fraud (the cash-out), when known.</summary>
    public string? CashoutTerminalId { get; init; }

    /// <summary>Country of the cash-out, when known.</summary>
    public string? CashoutCountry { get; init; }

    /// <summary>Latitude of the cash-out, when known.</summary>
    public double? CashoutLat { get; init; }

    /// <summary>Longitude of the cash-out, when known.</summary>
    public double? CashoutLon { get; init; }
}
