using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;

namespace SkimGuard.Simulator.Scoring;

/// <summary>
/// Scores a detector's alerts and cards-at-risk lists against a simulated world's ground truth. It watches the
/// transactions and reports as they are replayed to learn what the truth file does not hold: who used each skimmed
/// terminal during its true period, how many cards were active, and when each card became known compromised (for the
/// <see cref="DetectionOracle"/>). Only what the partner banks' feeds hold counts: a captured card of another bank is
/// neither seen nor scored.
/// </summary>
public sealed class DetectionQuality(GroundTruth truth)
{
    private readonly Dictionary<string, (TruthSkimmer Skimmer, Dictionary<string, DateTimeOffset> Visitors)> _skimmed =
        truth.Skimmers.ToDictionary(s => s.TerminalId, s => (s, new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal)), StringComparer.Ordinal);
    private readonly HashSet<string> _activeCards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _counterfeitCashouts = new(StringComparer.Ordinal);
    private readonly DetectionOracle _oracle = new();
    private readonly HashSet<string> _partners = truth.PartnerBanks.Count > 0 ? [.. truth.PartnerBanks] : [];
    private readonly Lazy<Dictionary<string, string>> _compromisePointOf = new(() => truth.Skimmers.Concat(truth.UnobservedCompromises)
        .SelectMany(s => s.CapturedCards.Select(c => (c.CardToken, s.TerminalId)))
        .ToDictionary(c => c.CardToken, c => c.TerminalId, StringComparer.Ordinal));

    /// <summary>Sees one replayed transaction.</summary>
    public void Observe(Transaction tx)
    {
        _oracle.Observe(tx);
        if (!tx.IsCardPresent)
            return;
        _activeCards.Add(tx.CardToken);
        if (IsCounterfeitCashout(tx))
            _counterfeitCashouts.Add(tx.CardToken);
        if (_skimmed.TryGetValue(tx.TerminalId, out var skimmed) && tx.Timestamp >= skimmed.Skimmer.From && tx.Timestamp < skimmed.Skimmer.To)
            skimmed.Visitors.TryAdd(tx.CardToken, tx.Timestamp);
    }

    /// <summary>Sees one replayed fraud report.</summary>
    public void Observe(FraudReport report) => _oracle.Observe(report);

    private readonly Dictionary<string, HeldBack> _lastHeld = new(StringComparer.Ordinal);

    /// <summary>Sees the engine hold back a significant terminal; the last hold of a missed skimmer says why it was missed.</summary>
    public void Observe(HeldBack held) => _lastHeld[held.TerminalId] = held;

    /// <summary>Sees one replayed event, whichever it is.</summary>
    public void Observe(Engine.Replay.ReplayEvent e)
    {
        if (e.Transaction is { } tx)
            Observe(tx);
        else
            Observe(e.Report!);
    }

    /// <summary>
    /// The counterfeit signature as the ground truth sees it: a stripe-read ATM withdrawal far from Mira-Bhayander, or at
    /// an ATM with no location. In the simulated world genuine cards use their chip away from home, so this is exactly
    /// the clones' cash-outs.
    /// </summary>
    private static bool IsCounterfeitCashout(Transaction tx) =>
        tx is { TerminalType: TerminalType.Atm, TxnType: TxnType.Withdrawal, EntryMode: EntryMode.Magstripe or EntryMode.Fallback }
        && (tx.Lat is not { } lat || tx.Lon is not { } lon || Geo.DistanceKm(lat, lon, TownCentreLat, TownCentreLon) > 100);

    private const double TownCentreLat = 19.30, TownCentreLon = 72.86;

    private bool Seen(TruthCapturedCard card) => _partners.Count == 0 || _partners.Contains(card.BankId);

    /// <summary>The scores, given the newest state of each alert, every cards-at-risk list and the cards the signature marked.</summary>
    public QualityReport Score(IReadOnlyList<AtmAlert> alerts, IReadOnlyList<CardsAtRisk> cardsAtRisk, IReadOnlySet<string>? signatureMarked = null)
    {
        signatureMarked ??= new HashSet<string>();
        var clones = truth.Skimmers.Concat(truth.UnobservedCompromises).SelectMany(s => s.CapturedCards).Where(c => c.FirstFraudAt is not null).Select(c => c.CardToken)
            .Concat(truth.OtherFrauds.Where(f => f.Kind == "counterfeit_elsewhere" && f.FirstFraudAt is not null).Select(f => f.CardToken))
            .ToHashSet(StringComparer.Ordinal);
        var firstFlag = alerts.GroupBy(a => a.TerminalId).ToDictionary(g => g.Key, g => g.MinBy(a => a.FirstFlaggedAt)!, StringComparer.Ordinal);
        var listedAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var list in cardsAtRisk)
            foreach (var token in list.CardTokens)
                if (!listedAt.TryGetValue(token, out var at) || list.IssuedAt < at)
                    listedAt[token] = list.IssuedAt;
        var baseRate = _counterfeitCashouts.Count / (double)Math.Max(1, _activeCards.Count);
        var outcomes = truth.Skimmers.Select(s => Outcome(s, _skimmed[s.TerminalId].Visitors, baseRate, firstFlag.GetValueOrDefault(s.TerminalId), listedAt)).ToList();

        var captured = truth.Skimmers.SelectMany(s => s.CapturedCards).Where(Seen).ToList();
        var listedBeforeFraud = captured.Count(c => listedAt.TryGetValue(c.CardToken, out var at) && (c.FirstFraudAt is null || at < c.FirstFraudAt));
        var lossPaise = captured.Sum(c => c.Frauds.Sum(f => f.LossPaise));
        var exposed = _skimmed.Values.SelectMany(s => s.Visitors.Keys)
            .Concat(truth.UnobservedCompromises.SelectMany(s => s.CapturedCards).Select(c => c.CardToken))
            .ToHashSet(StringComparer.Ordinal);

        var skimmedTerminals = truth.Skimmers.Select(s => s.TerminalId).ToHashSet(StringComparer.Ordinal);
        var flagged = firstFlag.Keys.ToList();
        var falseAlarms = alerts.Where(a => !skimmedTerminals.Contains(a.TerminalId)).GroupBy(a => a.TerminalId)
            .Select(g => g.MaxBy(a => a.UpdatedAt)!)
            .Select(a => new FalseAlarm(a.TerminalId, FalseAlarmKind(a), a.CompromisedCards, a.ExposedCards, a.PValue, a.Status == AlertStatus.Withdrawn))
            .OrderBy(f => f.TerminalId, StringComparer.Ordinal).ToList();
        var phishingAtms = truth.PhishingWave?.LocalAtms.ToHashSet(StringComparer.Ordinal) ?? [];
        var found = outcomes.Where(o => o.FlaggedAt is not null).ToList();
        var detectable = outcomes.Where(o => o.Detectable).ToList();
        var hours = found.Where(o => o.HoursToFlag is not null).Select(o => o.HoursToFlag!.Value).Order().ToList();
        var oracleHours = detectable.Where(o => o.OracleHoursToFlag is not null).Select(o => o.OracleHoursToFlag!.Value).Order().ToList();
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
            EchoAlerts = falseAlarms.Count(f => f.Kind == "echo"),
            WithdrawnFalseAlerts = alerts.Count(a => a.Status == AlertStatus.Withdrawn && !skimmedTerminals.Contains(a.TerminalId)),
            WithdrawnTrueAlerts = alerts.Count(a => a.Status == AlertStatus.Withdrawn && skimmedTerminals.Contains(a.TerminalId)),
            HubAlerts = falseAlarms.Count(f => f.Kind == "hub"),
            OtherFalseAlerts = falseAlarms.Count(f => f.Kind == "other"),
            MedianHoursFirstCashoutToFlag = Percentile(hours, 0.5),
            P90HoursFirstCashoutToFlag = Percentile(hours, 0.9),
            MedianOracleHours = Percentile(oracleHours, 0.5),
            CapturedCards = captured.Count,
            CapturedCardsListedBeforeFraud = listedBeforeFraud,
            ShareListedBeforeFraud = captured.Count == 0 ? 0 : listedBeforeFraud / (double)captured.Count,
            ListedCards = listedAt.Count,
            AtRiskPrecision = listedAt.Count == 0 ? 1 : listedAt.Keys.Count(exposed.Contains) / (double)listedAt.Count,
            SkimmingLossRupees = lossPaise / 100.0,
            PreventableLossRupees = outcomes.Sum(o => o.PreventableLossRupees),
            OraclePreventableLossRupees = outcomes.Sum(o => o.OraclePreventableLossRupees),
            SignatureMarkedCards = signatureMarked.Count,
            SignaturePrecision = signatureMarked.Count == 0 ? 1 : signatureMarked.Count(clones.Contains) / (double)signatureMarked.Count,
            PerSkimmer = outcomes,
            FalseAlarms = falseAlarms,
        };
    }

    /// <summary>
    /// Why a terminal with no skimmer was flagged, judged by whose cards its evidence holds: busy (a station ATM), hub
    /// (a hub, or evidence from the victims of two or more compromise points, each at least a fifth), echo (mostly the
    /// victims of one compromise point, observed or not: the neighbourhood's terminals that they also used), or other.
    /// </summary>
    private string FalseAlarmKind(AtmAlert alert)
    {
        if (truth.BusyTerminals.Contains(alert.TerminalId))
            return "busy";
        var pointOf = _compromisePointOf.Value;
        var total = alert.Evidence.Sum(e => e.Weight);
        var shares = alert.Evidence.Where(e => pointOf.ContainsKey(e.CardToken))
            .GroupBy(e => pointOf[e.CardToken]).Select(g => g.Sum(e => e.Weight) / Math.Max(total, 1e-9)).ToList();
        if (truth.HubTerminals.Contains(alert.TerminalId) || shares.Count(s => s >= 0.2) >= 2)
            return "hub";
        return shares.Count > 0 && shares.Max() >= 0.5 ? "echo" : "other";
    }

    private SkimmerOutcome Outcome(TruthSkimmer skimmer, Dictionary<string, DateTimeOffset> visitors, double baseRate, AtmAlert? alert,
        Dictionary<string, DateTimeOffset> listedAt)
    {
        var seen = skimmer.CapturedCards.Where(Seen).ToList();
        var cashedOut = seen.Count(c => c.FirstFraudAt is not null);
        var firstCashout = seen.Where(c => c.FirstFraudAt is not null).Select(c => c.FirstFraudAt).Min();
        var oracleFlag = _oracle.FlagTime(visitors);
        double LossAfter(Func<TruthCapturedCard, DateTimeOffset?> from) =>
            seen.Sum(c => from(c) is { } at ? c.Frauds.Where(f => f.At > at).Sum(f => f.LossPaise) : 0) / 100.0;
        return new SkimmerOutcome
        {
            TerminalId = skimmer.TerminalId,
            Kind = skimmer.Kind,
            From = skimmer.From,
            To = skimmer.To,
            Visitors = visitors.Count,
            Captured = seen.Count,
            CashedOut = cashedOut,
            DetectabilityPValue = DetectionOracle.PoissonAtLeast(cashedOut, visitors.Count * baseRate),
            Detectable = oracleFlag is not null,
            FirstCashoutAt = firstCashout,
            FlaggedAt = alert?.FirstFlaggedAt,
            HoursToFlag = alert is not null && firstCashout is { } cashout ? (alert.FirstFlaggedAt - cashout).TotalHours : null,
            OracleFlaggedAt = oracleFlag,
            OracleHoursToFlag = oracleFlag is { } flag && firstCashout is { } first ? (flag - first).TotalHours : null,
            PreventableLossRupees = LossAfter(c => listedAt.TryGetValue(c.CardToken, out var at) ? at : null),
            OraclePreventableLossRupees = oracleFlag is { } f ? LossAfter(c => c.CapturedAt <= f ? f : null) : 0,
            EstimatedFrom = alert?.WindowFrom,
            EstimatedTo = alert?.WindowTo,
            MissReason = alert is null ? MissReason(skimmer.TerminalId) : null,
        };
    }

    /// <summary>
    /// Why the engine never flagged a skimmed terminal: its last hold (an echo, or explained away by terminals named by
    /// what they truly were), or, with no hold, that no scan of it was ever significant enough.
    /// </summary>
    private string MissReason(string terminalId)
    {
        if (!_lastHeld.TryGetValue(terminalId, out var held))
            return "never significant";
        if (held.Reason == HoldReason.LocalEcho)
            return "held as a local echo";
        var skimmers = truth.Skimmers.Select(s => s.TerminalId).ToHashSet(StringComparer.Ordinal);
        var by = held.ExplainedBy.Select(t => skimmers.Contains(t) ? "skimmer" : truth.HubTerminals.Contains(t) ? "hub" : truth.BusyTerminals.Contains(t) ? "busy" : "other")
            .GroupBy(k => k).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        return $"explained away by {string.Join(", ", by)}";
    }

    private static double? Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
}
