namespace SkimGuard.Simulator.Scoring;

/// <summary>How a detector's alerts compare with a simulated world's ground truth (report.json).</summary>
public sealed record QualityReport
{
    /// <summary>Skimmers planted.</summary>
    public required int Skimmers { get; init; }

    /// <summary>Skimmers whose cashed-out cards stand out from the base rate with a Poisson tail below 1e-6, knowing the true terminal and period.</summary>
    public required int DetectableSkimmers { get; init; }

    /// <summary>Skimmers whose terminal was flagged.</summary>
    public required int FoundSkimmers { get; init; }

    /// <summary>Detectable skimmers whose terminal was flagged.</summary>
    public required int FoundDetectableSkimmers { get; init; }

    /// <summary>Found detectable skimmers over detectable skimmers (1 when none is detectable).</summary>
    public required double RecallDetectable { get; init; }

    /// <summary>Found skimmers over all skimmers.</summary>
    public required double RecallAll { get; init; }

    /// <summary>Alerts raised.</summary>
    public required int Alerts { get; init; }

    /// <summary>Alerts on a skimmed terminal.</summary>
    public required int TrueAlerts { get; init; }

    /// <summary>True alerts over alerts (1 when there is none).</summary>
    public required double Precision { get; init; }

    /// <summary>Alerts on the busy station ATMs (must be 0).</summary>
    public required int BusyTerminalAlerts { get; init; }

    /// <summary>Alerts on ATMs of the phishing-wave neighbourhood (must be 0).</summary>
    public required int PhishingNeighbourhoodAlerts { get; init; }

    /// <summary>Hours from a skimmer's first cash-out to the first flag of its terminal, median over found skimmers.</summary>
    public required double? MedianHoursFirstCashoutToFlag { get; init; }

    /// <summary>The same, 90th percentile.</summary>
    public required double? P90HoursFirstCashoutToFlag { get; init; }

    /// <summary>Cards the skimmers captured.</summary>
    public required int CapturedCards { get; init; }

    /// <summary>Captured cards sent to their bank as at risk before their first fraud (or listed and never defrauded).</summary>
    public required int CapturedCardsListedBeforeFraud { get; init; }

    /// <summary>The share of captured cards listed before their first fraud.</summary>
    public required double ShareListedBeforeFraud { get; init; }

    /// <summary>All skimming fraud, rupees.</summary>
    public required double SkimmingLossRupees { get; init; }

    /// <summary>Skimming fraud after the card was listed at risk: what blocking the listed cards could have prevented, rupees.</summary>
    public required double PreventableLossRupees { get; init; }

    /// <summary>Cards the counterfeit signature marked.</summary>
    public required int SignatureMarkedCards { get; init; }

    /// <summary>The share of those that really were clones (skimmed here or elsewhere): the signature's precision.</summary>
    public required double SignaturePrecision { get; init; }

    /// <summary>False alarms on a neighbourhood's terminals whose evidence is mostly the victims of one compromise point (observed or not).</summary>
    public int EchoAlerts { get; init; }

    /// <summary>Alerts whose newest state is withdrawn (other flagged terminals explain their cards), on terminals with no skimmer.</summary>
    public int WithdrawnFalseAlerts { get; init; }

    /// <summary>Alerts on skimmed terminals whose newest state is withdrawn: a skimmer the engine took back, the worst mistake a withdrawal can make.</summary>
    public int WithdrawnTrueAlerts { get; init; }

    /// <summary>False alarms on a hub, or whose evidence comes from the victims of two or more compromise points.</summary>
    public int HubAlerts { get; init; }

    /// <summary>False alarms of no kind above (nor busy).</summary>
    public int OtherFalseAlerts { get; init; }

    /// <summary>Median hours from first cash-out to the oracle's flag, over the detectable skimmers.</summary>
    public double? MedianOracleHours { get; init; }

    /// <summary>Share of the cards listed at risk that really used a skimmed terminal while its skimmer was there.</summary>
    public double AtRiskPrecision { get; init; }

    /// <summary>Cards listed at risk, all lists together (each card once).</summary>
    public int ListedCards { get; init; }

    /// <summary>What the oracle's flag, listing every card of its window, would have saved: frauds after the oracle's flag.</summary>
    public double OraclePreventableLossRupees { get; init; }

    /// <summary>Each skimmer in detail.</summary>
    public required IReadOnlyList<SkimmerOutcome> PerSkimmer { get; init; }

    /// <summary>Every terminal flagged with no skimmer, as its newest alert stands.</summary>
    public required IReadOnlyList<FalseAlarm> FalseAlarms { get; init; }
}

/// <summary>
/// A terminal flagged with no skimmer: its kind (busy, hub, echo or other, see <see cref="DetectionQuality"/>), the newest
/// alert's evidence (k weighted compromised of n cards, p-value) and whether it was withdrawn.
/// </summary>
public sealed record FalseAlarm(string TerminalId, string Kind, double K, int N, double PValue, bool Withdrawn);

/// <summary>One skimmer: how visible it was and whether and when it was found.</summary>
public sealed record SkimmerOutcome
{
    /// <summary>The skimmed terminal.</summary>
    public required string TerminalId { get; init; }

    /// <summary>When the skimmer was fitted.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>When it was removed.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>Distinct cards that used the terminal during the true period.</summary>
    public required int Visitors { get; init; }

    /// <summary>Cards it captured.</summary>
    public required int Captured { get; init; }

    /// <summary>Captured cards cashed out inside the data.</summary>
    public required int CashedOut { get; init; }

    /// <summary>Poisson tail of the cashed-out cards among the visitors, against the base rate of cashed-out cards, at the end of the data.</summary>
    public required double DetectabilityPValue { get; init; }

    /// <summary>Whether the oracle flags it inside the data: a test that knows the terminal and the start, see <see cref="DetectionOracle"/>.</summary>
    public required bool Detectable { get; init; }

    /// <summary>atm or pos.</summary>
    public string Kind { get; init; } = "atm";

    /// <summary>When the oracle flags it.</summary>
    public DateTimeOffset? OracleFlaggedAt { get; init; }

    /// <summary>Hours from the first cash-out to the oracle's flag.</summary>
    public double? OracleHoursToFlag { get; init; }

    /// <summary>Rupees of this skimmer's fraud after the cards were listed at risk.</summary>
    public double PreventableLossRupees { get; init; }

    /// <summary>Rupees of this skimmer's fraud after the oracle's flag.</summary>
    public double OraclePreventableLossRupees { get; init; }

    /// <summary>The first cash-out of a card it captured.</summary>
    public required DateTimeOffset? FirstCashoutAt { get; init; }

    /// <summary>When its terminal was first flagged.</summary>
    public required DateTimeOffset? FlaggedAt { get; init; }

    /// <summary>Hours from the first cash-out to the flag.</summary>
    public required double? HoursToFlag { get; init; }

    /// <summary>The alert's estimated period.</summary>
    public required DateTimeOffset? EstimatedFrom { get; init; }

    /// <summary>The alert's estimated period end.</summary>
    public required DateTimeOffset? EstimatedTo { get; init; }

    /// <summary>For a skimmer never flagged: why (the engine's last hold of its terminal, or "never significant").</summary>
    public string? MissReason { get; init; }
}
