using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;

namespace SkimGuard.Simulator.Scoring;

/// <summary>
/// Scores a detector's alerts and cards-at-risk lists against a simulated world's ground truth. It watches the
/// transactions as they are replayed to learn what the truth file does not hold: who used each skimmed ATM during
/// its true period, and how many cards were active.
/// </summary>
public sealed class DetectionQuality(GroundTruth truth)
{
    /// <summary>A skimmer counts as detectable in principle below this tail probability (the definition).</summary>
    public const double DetectableBelow = 1e-6;

    private readonly Dictionary<string, (TruthSkimmer Skimmer, HashSet<string> Visitors)> _skimmed =
        truth.Skimmers.ToDictionary(s => s.TerminalId, s => (s, new HashSet<string>(StringComparer.Ordinal)), StringComparer.Ordinal);
    private readonly HashSet<string> _activeCards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _counterfeitCashouts = new(StringComparer.Ordinal);

    /// <summary>Sees one replayed transaction.</summary>
    public void Observe(Transaction tx)
    {
        if (!tx.IsCardPresent)
            return;
        _activeCards.Add(tx.CardToken);
        if (IsCounterfeitCashout(tx))
            _counterfeitCashouts.Add(tx.CardToken);
        if (_skimmed.TryGetValue(tx.TerminalId, out var skimmed) && tx.Timestamp >= skimmed.Skimmer.From && tx.Timestamp < skimmed.Skimmer.To)
            skimmed.Visitors.Add(tx.CardToken);
    }

    /// <summary>
    /// The counterfeit signature as the ground truth sees it: a stripe-read ATM withdrawal far from Mira-Bhayander. In
    /// the simulated world genuine cards use their chip away from home, so this is exactly the clones' cash-outs.
    /// </summary>
    private static bool IsCounterfeitCashout(Transaction tx) =>
        tx is { TerminalType: TerminalType.Atm, TxnType: TxnType.Withdrawal, EntryMode: EntryMode.Magstripe or EntryMode.Fallback }
        && (tx.Lat is not { } lat || tx.Lon is not { } lon || Geo.DistanceKm(lat, lon, TownCentreLat, TownCentreLon) > 100);

    private const double TownCentreLat = 19.30, TownCentreLon = 72.86;

    /// <summary>The scores, given the newest state of each alert, every cards-at-risk list and the cards the signature marked.</summary>
    public QualityReport Score(IReadOnlyList<AtmAlert> alerts, IReadOnlyList<CardsAtRisk> cardsAtRisk, IReadOnlySet<string>? signatureMarked = null)
    {
        signatureMarked ??= new HashSet<string>();
        var clones = truth.Skimmers.SelectMany(s => s.CapturedCards).Where(c => c.FirstFraudAt is not null).Select(c => c.CardToken)
            .Concat(truth.OtherFrauds.Where(f => f.Kind == "counterfeit_elsewhere" && f.FirstFraudAt is not null).Select(f => f.CardToken))
            .ToHashSet(StringComparer.Ordinal);
        var firstFlag = alerts.GroupBy(a => a.TerminalId).ToDictionary(g => g.Key, g => g.MinBy(a => a.FirstFlaggedAt)!, StringComparer.Ordinal);
        var baseRate = _counterfeitCashouts.Count / (double)Math.Max(1, _activeCards.Count);
        var outcomes = truth.Skimmers.Select(s => Outcome(s, _skimmed[s.TerminalId].Visitors.Count, baseRate, firstFlag.GetValueOrDefault(s.TerminalId))).ToList();

        var listedAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var list in cardsAtRisk)
            foreach (var token in list.CardTokens)
                if (!listedAt.TryGetValue(token, out var at) || list.IssuedAt < at)
                    listedAt[token] = list.IssuedAt;
        var captured = truth.Skimmers.SelectMany(s => s.CapturedCards).ToList();
        var listedBeforeFraud = captured.Count(c => listedAt.TryGetValue(c.CardToken, out var at) && (c.FirstFraudAt is null || at < c.FirstFraudAt));
        var lossPaise = captured.Sum(c => c.Frauds.Sum(f => f.LossPaise));
        var preventablePaise = captured.Sum(c => listedAt.TryGetValue(c.CardToken, out var at) ? c.Frauds.Where(f => f.At > at).Sum(f => f.LossPaise) : 0);

        var skimmedTerminals = truth.Skimmers.Select(s => s.TerminalId).ToHashSet(StringComparer.Ordinal);
        var flagged = firstFlag.Keys.ToList();
        var phishingAtms = truth.PhishingWave?.LocalAtms.ToHashSet(StringComparer.Ordinal) ?? [];
        var found = outcomes.Where(o => o.FlaggedAt is not null).ToList();
        var detectable = outcomes.Where(o => o.Detectable).ToList();
        var hours = found.Where(o => o.HoursToFlag is not null).Select(o => o.HoursToFlag!.Value).Order().ToList();
        return new QualityReport
        {
            Skimmers = outcomes.Count,
            DetectableSkimmers = detectable.Count,
            FoundSkimmers = found.Count,
            FoundDetectableSkimmers = detectable.Count(o => o.FlaggedAt is not null),
            RecallDetectable = detectable.Count == 0 ? 1 : detectable.Count(o => o.FlaggedAt is not null) / (double)detectable.Count,
            RecallAll = outcomes.Count == 0 ? 1 : found.Count / (double)outcomes.Count,
            Alerts = flagged.Count,
            TrueAlerts = flagged.Count(skimmedTerminals.Contains),
            Precision = flagged.Count == 0 ? 1 : flagged.Count(skimmedTerminals.Contains) / (double)flagged.Count,
            BusyTerminalAlerts = flagged.Count(truth.BusyTerminals.Contains),
            PhishingNeighbourhoodAlerts = flagged.Count(phishingAtms.Contains),
            MedianHoursFirstCashoutToFlag = Percentile(hours, 0.5),
            P90HoursFirstCashoutToFlag = Percentile(hours, 0.9),
            CapturedCards = captured.Count,
            CapturedCardsListedBeforeFraud = listedBeforeFraud,
            ShareListedBeforeFraud = captured.Count == 0 ? 0 : listedBeforeFraud / (double)captured.Count,
            SkimmingLossRupees = lossPaise / 100.0,
            PreventableLossRupees = preventablePaise / 100.0,
            SignatureMarkedCards = signatureMarked.Count,
            SignaturePrecision = signatureMarked.Count == 0 ? 1 : signatureMarked.Count(clones.Contains) / (double)signatureMarked.Count,
            PerSkimmer = outcomes,
            FalseAlertTerminals = [.. flagged.Where(t => !skimmedTerminals.Contains(t)).Order(StringComparer.Ordinal)],
        };
    }

    private static SkimmerOutcome Outcome(TruthSkimmer skimmer, int visitors, double baseRate, AtmAlert? alert)
    {
        var cashedOut = skimmer.CapturedCards.Count(c => c.FirstFraudAt is not null);
        var pValue = PoissonTail.AtLeast(cashedOut, visitors * baseRate);
        var firstCashout = skimmer.CapturedCards.Where(c => c.FirstFraudAt is not null).Select(c => c.FirstFraudAt).Min();
        return new SkimmerOutcome
        {
            TerminalId = skimmer.TerminalId,
            From = skimmer.From,
            To = skimmer.To,
            Visitors = visitors,
            Captured = skimmer.CapturedCards.Count,
            CashedOut = cashedOut,
            DetectabilityPValue = pValue,
            Detectable = cashedOut > 0 && pValue < DetectableBelow,
            FirstCashoutAt = firstCashout,
            FlaggedAt = alert?.FirstFlaggedAt,
            HoursToFlag = alert is not null && firstCashout is { } cashout ? (alert.FirstFlaggedAt - cashout).TotalHours : null,
            EstimatedFrom = alert?.WindowFrom,
            EstimatedTo = alert?.WindowTo,
        };
    }

    private static double? Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
}
