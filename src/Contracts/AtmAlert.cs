using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>
/// A terminal flagged as a likely point of compromise (wire format v1). The newest state of an alert
/// replaces older ones: the topic is keyed by terminal and consumers keep the latest per <see cref="AlertId"/>.
/// </summary>
public sealed record AtmAlert
{
    /// <summary>The wire format version.</summary>
    [JsonRequired]
    public int SchemaVersion { get; init; } = SchemaVersions.Current;

    /// <summary>Stable id of the alert; later evidence updates the same id.</summary>
    public required string AlertId { get; init; }

    /// <summary>The flagged terminal.</summary>
    public required string TerminalId { get; init; }

    /// <summary>ATM or POS: skimmers sit on shop readers too.</summary>
    public required TerminalType TerminalType { get; init; }

    /// <summary>Where the terminal is, from the ATM registry when it is listed there.</summary>
    public TerminalLocation? Location { get; init; }

    /// <summary>Raised the first time, updated afterwards, withdrawn when other flagged terminals explain its cards.</summary>
    public required AlertStatus Status { get; init; }

    /// <summary>Strength of the evidence: -log10 of the p-value, higher is stronger.</summary>
    public required double Score { get; init; }

    /// <summary>Tail probability of seeing this many compromised visitors by chance, before correction.</summary>
    public required double PValue { get; init; }

    /// <summary>k: compromised cards (weighted by the strength of their evidence) that used the terminal in the window.</summary>
    public required double CompromisedCards { get; init; }

    /// <summary>n: distinct cards that used the terminal in the window.</summary>
    public required int ExposedCards { get; init; }

    /// <summary>n times the base rate of compromise among all active cards.</summary>
    public required double Expected { get; init; }

    /// <summary>Start of the estimated skimmer period.</summary>
    public required DateTimeOffset WindowFrom { get; init; }

    /// <summary>End of the estimated skimmer period.</summary>
    public required DateTimeOffset WindowTo { get; init; }

    /// <summary>How many cards used the terminal in the window and show no fraud yet.</summary>
    public required int CardsAtRisk { get; init; }

    /// <summary>Event time at which the terminal was first flagged.</summary>
    public required DateTimeOffset FirstFlaggedAt { get; init; }

    /// <summary>Event time of this state of the alert.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The fraud model whose scores contributed, or "none".</summary>
    public required string ModelVersion { get; init; }

    /// <summary>For a withdrawn alert: the flagged terminals that explain its compromised cards. Absent otherwise.</summary>
    public IReadOnlyList<string>? ExplainedBy { get; init; }

    /// <summary>The compromised cards behind the flag: when they used this terminal and where they were cashed out.</summary>
    public required IReadOnlyList<CompromiseEvidence> Evidence { get; init; }
}
