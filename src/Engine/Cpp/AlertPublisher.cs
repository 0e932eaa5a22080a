using System.Globalization;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// Rescans a terminal that gained a compromised visitor; raises an alert when the scan is significant, updates the
/// terminal's alert when the finding changed, and sends each bank its own cards at risk when new ones appear.
/// </summary>
internal sealed class AlertPublisher(IWindowStore store, IAlertSink sink, CppOptions options, AtmRegistry registry, Func<string> modelVersion)
{
    public EngineCounters Counters { get; } = new();

    /// <summary>Raised when a significant terminal is not flagged, with the reason.</summary>
    public event Action<HeldBack>? HeldBack;

    public async ValueTask RescanAsync(string terminalId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = EventDay.Of(now);
        var terminal = await store.GetTerminalAsync(terminalId, today - options.RetentionDays, today, cancellationToken);
        // Cheap bound first: with fewer strongly compromised visitors than an alert needs, no period can qualify.
        if (terminal is null || terminal.Compromised.Count(v => v.Mark.Strong) < options.MinCompromised)
            return;
        Counters.Scans++;
        var rate = await store.GetBaseRateAsync(today - (int)options.LookBack.TotalDays, today, cancellationToken);
        var baseRate = BaseRates.Of(rate, options);
        if (WindowScan.Best(terminal, baseRate, options) is not { } best)
            return;
        var existing = await store.GetAlertAsync(terminalId, cancellationToken);
        // Later evidence updates the terminal's alert while it is recent, or whenever it is about the same skimmer period.
        var continues = existing is not null
            && (existing.UpdatedAt >= now - options.LookBack || (EventDay.Start(best.FromDay) < existing.WindowTo && EventDay.Start(best.ToDay + 1) > existing.WindowFrom));
        // A withdrawn alert comes back only through every test a first flag passes.
        var ongoing = continues && existing!.Status != AlertStatus.Withdrawn;
        if (!ongoing && best.PValue > options.AlertPValue(rate.ActiveTerminals))
            return;
        if (ongoing && SameFinding(existing!, best))
            return;
        EvidenceContext? context = null;
        if (!ongoing)
        {
            // Both tests must pass, so their order changes no alert, only the cost and which hold is reported. Explaining
            // away first: around a flagged skimmer most significant terminals are its shops, held by one look-up each,
            // where the local test reads twenty neighbours (the local test first cost the 50,000-card backtest 38 %).
            context = await EvidenceOfAsync(terminal, best, cancellationToken);
            if (await ExplainingTerminalsAsync(context, best, baseRate, today, cancellationToken) is { } explaining)
            {
                Counters.ExplainedAway++;
                HeldBack?.Invoke(new HeldBack(terminalId, now, HoldReason.ExplainedAway, best.PValue, [.. explaining.Order(StringComparer.Ordinal)]));
                return;
            }
            if (!await StandsOutLocallyAsync(terminal, best, context, baseRate, today, cancellationToken))
            {
                Counters.LocalEchoes++;
                HeldBack?.Invoke(new HeldBack(terminalId, now, HoldReason.LocalEcho, best.PValue, []));
                return;
            }
        }

        var atRisk = AtRisk(terminal, best);
        var alert = Build(terminal, best, now, continues ? existing : null, atRisk.Count);
        await store.SaveAlertAsync(alert, cancellationToken);
        await sink.PublishAsync(alert, cancellationToken);
        if (continues)
            Counters.AlertsUpdated++;
        else
            Counters.AlertsRaised++;
        await SendCardsAtRiskAsync(alert, atRisk, now, cancellationToken);
        if (options.ExplainByConcentration)
        {
            // A finding that grew may now explain terminals flagged before it.
            context ??= await EvidenceOfAsync(terminal, best, cancellationToken);
            await WithdrawExplainedAsync(context, best, baseRate, now, today, cancellationToken);
        }
    }

    /// <summary>
    /// The window's compromised cards, the other terminals each of them used in its look-back, and those terminals shared
    /// by at least a tenth of the cards (by weight), most shared first: what a terminal is judged by before it is first
    /// flagged.
    /// </summary>
    private sealed record EvidenceContext(List<CompromisedVisitor> Evidence, Dictionary<CompromisedVisitor, HashSet<string>> OthersOf, List<string> Sharing, double Total);

    private async ValueTask<EvidenceContext> EvidenceOfAsync(TerminalHistory terminal, ScanResult best, CancellationToken cancellationToken)
    {
        var (from, to) = (EventDay.Start(best.FromDay), EventDay.Start(best.ToDay + 1));
        var evidence = terminal.Compromised.Where(v => v.Visits.Any(t => t >= from && t < to)).ToList();
        var total = evidence.TotalWeight();
        var othersOf = new Dictionary<CompromisedVisitor, HashSet<string>>();
        var shared = new Dictionary<string, long>(StringComparer.Ordinal); // weights in millionths, summed alike by every store
        foreach (var visitor in evidence)
        {
            var history = await store.GetCardAsync(visitor.CardToken, cancellationToken);
            var (lookBackFrom, lookBackTo) = (visitor.Mark.FirstFraudAt - options.LookBack, visitor.Mark.FirstFraudAt - options.MinCashoutDelay);
            var others = history.Visits
                .Where(v => v.Time >= lookBackFrom && v.Time <= lookBackTo && v.TerminalId != terminal.TerminalId)
                .Select(v => v.TerminalId)
                .ToHashSet(StringComparer.Ordinal);
            othersOf[visitor] = others;
            foreach (var other in others)
                shared[other] = shared.GetValueOrDefault(other) + BaseRate.ToMicro(visitor.Mark.Weight);
        }
        var sharing = shared.Where(s => s.Value >= 0.1 * BaseRate.ToMicro(total)).OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key).ToList();
        return new EvidenceContext(evidence, othersOf, sharing, total);
    }

    /// <summary>
    /// The terminals that explain this one's cards, when at least <see cref="CppOptions.ExplainedShare"/> of this window's
    /// compromised cards (by weight) also used one of them in their look-back. With <see cref="CppOptions.ExplainByConcentration"/>:
    /// flagged terminals with a higher relative risk, and unflagged ones that scan more significant; without, the more
    /// significant ones (<see cref="MoreSignificantExplainingAsync"/>). This terminal's excess is then the echo of those clusters
    /// (two skimmers in one neighbourhood echo together, so the share is over all of them). Null when they explain less.
    /// </summary>
    private async ValueTask<HashSet<string>?> ExplainingTerminalsAsync(EvidenceContext context, ScanResult best, BaseRates baseRate, int today, CancellationToken cancellationToken)
    {
        if (!options.ExplainByConcentration)
            return await MoreSignificantExplainingAsync(context, best, baseRate, today, cancellationToken);
        var (evidence, otherTerminalsOf, sharing, total) = context;
        // Only terminals sharing a fair part of the cards can explain them. A flagged one does when it is more concentrated,
        // whichever was flagged first: a hub flagged on two skimmers' victims combined is more significant than either
        // skimmer, but gathers their victims among many others, and must not hold them back. The unflagged ones that share
        // most are scanned now and explain when more significant: the skimmer not yet flagged, or, for the terminals of an
        // echo, the strongest of them.
        var explaining = new HashSet<string>(StringComparer.Ordinal);
        var flagged = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in sharing)
        {
            if (await FlaggedAsync(other, cancellationToken) is not { } alert)
                continue;
            flagged.Add(other);
            if (RelativeRisk(alert) > RelativeRisk(best))
                explaining.Add(other);
        }
        if (ExplainedWeight(evidence, otherTerminalsOf, explaining) >= options.ExplainedShare * total)
            return explaining; // the flagged terminals explain it: no need to scan more
        foreach (var other in sharing.Where(o => !flagged.Contains(o)).Take(ExplainingCandidates))
        {
            var otherHistory = await store.GetTerminalAsync(other, today - options.RetentionDays, today, cancellationToken);
            if (otherHistory is null || WindowScan.Best(otherHistory, baseRate, options) is not { } otherBest || otherBest.PValue >= best.PValue)
                continue;
            // More significant but less concentrated, it explains nothing if flagged terminals explain it in turn: a mall's
            // shop held back because one skimmer flagged explains half its cards still holds the other skimmer's victims.
            if (RelativeRisk(otherBest) > RelativeRisk(best)
                || await ExplainedByFlaggedAsync(await EvidenceOfAsync(otherHistory, otherBest, cancellationToken), otherBest, cancellationToken) is null)
                explaining.Add(other);
        }
        return ExplainedWeight(evidence, otherTerminalsOf, explaining) >= options.ExplainedShare * total ? explaining : null;
    }

    /// <summary>
    /// The default explaining away: terminals flagged with a p-value at most this one's, and, among the unflagged (or
    /// weaker flagged) ones that share most, those that scan more significant now; returned when they explain at least
    /// <see cref="CppOptions.ExplainedShare"/> of the cards, else null.
    /// </summary>
    private async ValueTask<HashSet<string>?> MoreSignificantExplainingAsync(EvidenceContext context, ScanResult best, BaseRates baseRate, int today, CancellationToken cancellationToken)
    {
        var (evidence, otherTerminalsOf, sharing, total) = context;
        var stronger = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in sharing)
        {
            if (await store.GetAlertAsync(other, cancellationToken) is { } flagged && flagged.PValue <= best.PValue)
                stronger.Add(other);
        }
        if (ExplainedWeight(evidence, otherTerminalsOf, stronger) >= options.ExplainedShare * total)
            return stronger; // the flagged terminals explain it: no need to scan more
        var unflagged = new List<(TerminalHistory History, ScanResult Best)>();
        foreach (var other in sharing.Where(o => !stronger.Contains(o)).Take(ExplainingCandidates))
        {
            var otherHistory = await store.GetTerminalAsync(other, today - options.RetentionDays, today, cancellationToken);
            if (otherHistory is not null && WindowScan.Best(otherHistory, baseRate, options) is { } otherBest && otherBest.PValue < best.PValue)
            {
                stronger.Add(other);
                unflagged.Add((otherHistory, otherBest));
            }
        }
        if (ExplainedWeight(evidence, otherTerminalsOf, stronger) < options.ExplainedShare * total)
            return null;
        // An unflagged terminal that would itself be held as an echo explains nothing: when a neighbourhood was skimmed
        // where no feed looks, its ATMs and shops all scan strongly on the same victims, and a skimmer among them would
        // otherwise be held back by terminals that are never flagged. Each is judged (costly) only while the answer
        // depends on it: the most significant first, until enough remain to explain, or too few could.
        var confirmed = stronger.Except(unflagged.Select(u => u.History.TerminalId), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
        foreach (var (otherHistory, otherBest) in unflagged.OrderBy(u => u.Best.PValue).ThenBy(u => u.History.TerminalId, StringComparer.Ordinal))
        {
            if (await StandsOutLocallyAsync(otherHistory, otherBest, await EvidenceOfAsync(otherHistory, otherBest, cancellationToken), baseRate, today, cancellationToken))
                confirmed.Add(otherHistory.TerminalId);
            else
                stronger.Remove(otherHistory.TerminalId);
            if (ExplainedWeight(evidence, otherTerminalsOf, confirmed) >= options.ExplainedShare * total)
                return confirmed;
            if (ExplainedWeight(evidence, otherTerminalsOf, stronger) < options.ExplainedShare * total)
                return null;
        }
        return ExplainedWeight(evidence, otherTerminalsOf, stronger) >= options.ExplainedShare * total ? stronger : null;
    }

    /// <summary>
    /// After <paramref name="best"/> raised or updated an alert: withdraws every alert on a terminal its cards also used
    /// that is less concentrated and now explained by flagged terminals (this one among them). A mall's shop used by the
    /// victims of two skimmers can be flagged first, on their victims combined, and so can a small shop a few of one
    /// skimmer's victims used; once the skimmers' evidence is the more concentrated, neither is blamed for their cards.
    /// Every terminal the cards used is looked at, not only those most shared: four victims make a small shop's whole
    /// evidence and a tenth of no skimmer's.
    /// </summary>
    private async ValueTask WithdrawExplainedAsync(EvidenceContext context, ScanResult best, BaseRates baseRate, DateTimeOffset now, int today, CancellationToken cancellationToken)
    {
        foreach (var other in context.OthersOf.Values.SelectMany(t => t).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (await FlaggedAsync(other, cancellationToken) is not { } flagged || RelativeRisk(flagged) >= RelativeRisk(best))
                continue;
            var history = await store.GetTerminalAsync(other, today - options.RetentionDays, today, cancellationToken);
            if (history is null || WindowScan.Best(history, baseRate, options) is not { } otherBest)
                continue;
            if (await ExplainedByFlaggedAsync(await EvidenceOfAsync(history, otherBest, cancellationToken), otherBest, cancellationToken) is not { } explaining)
                continue;
            var withdrawn = flagged with { Status = AlertStatus.Withdrawn, UpdatedAt = now, ExplainedBy = [.. explaining.Order(StringComparer.Ordinal)] };
            await store.SaveAlertAsync(withdrawn, cancellationToken);
            await sink.PublishAsync(withdrawn, cancellationToken);
            Counters.AlertsWithdrawn++;
            HeldBack?.Invoke(new HeldBack(other, now, HoldReason.ExplainedAway, otherBest.PValue, withdrawn.ExplainedBy));
        }
    }

    /// <summary>
    /// The flagged terminals, each more concentrated than <paramref name="best"/>, that its compromised cards used, when at
    /// least <see cref="CppOptions.ExplainedShare"/> of them (by weight) did; else null.
    /// </summary>
    private async ValueTask<HashSet<string>?> ExplainedByFlaggedAsync(EvidenceContext context, ScanResult best, CancellationToken cancellationToken)
    {
        var explaining = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in context.Sharing)
        {
            if (await FlaggedAsync(other, cancellationToken) is { } alert && RelativeRisk(alert) > RelativeRisk(best))
                explaining.Add(other);
        }
        return ExplainedWeight(context.Evidence, context.OthersOf, explaining) >= options.ExplainedShare * context.Total ? explaining : null;
    }

    /// <summary>The terminal's alert unless it was withdrawn.</summary>
    private async ValueTask<AtmAlert?> FlaggedAsync(string terminalId, CancellationToken cancellationToken) =>
        await store.GetAlertAsync(terminalId, cancellationToken) is { Status: not AlertStatus.Withdrawn } alert ? alert : null;

    /// <summary>
    /// How concentrated the evidence is, counted cautiously: the relative risk (compromised visitors over the count chance
    /// would give) that the terminal is 95 % sure to exceed. A small shop's four compromised visitors of 26 make a
    /// higher rate than a skimmer's 37 of 181, but four prove little: their bound is lower (19 against 36 times).
    /// </summary>
    private static double RelativeRisk(ScanResult scan) => RelativeRisk(scan.K, scan.Expected);

    private static double RelativeRisk(AtmAlert alert) => RelativeRisk(alert.CompromisedCards, alert.Expected);

    private static double RelativeRisk(double k, double expected) => PoissonTail.LowerMean(k, 0.05) / Math.Max(expected, 1e-12);

    /// <summary>
    /// True when this terminal's rate of compromised visitors over the window is at least
    /// <see cref="CppOptions.MinLocalRelativeRisk"/> times, and with a Poisson tail at most <see cref="CppOptions.LocalAlpha"/>
    /// above, the median rate over the fortnight around it of the other terminals its
    /// compromised cards share (those within <see cref="CppOptions.LocalComparisonRadiusKm"/> when there are enough of
    /// them); or when too few of those are big enough to compare with. A skimmer stands out among its
    /// victims' other terminals; the terminals of a neighbourhood skimmed somewhere unseen carry one excess together.
    /// </summary>
    private async ValueTask<bool> StandsOutLocallyAsync(TerminalHistory terminal, ScanResult best, EvidenceContext context, BaseRates baseRate, int today, CancellationToken cancellationToken)
    {
        var firstDay = terminal.CardsByDay.Count > 0 ? terminal.CardsByDay.Keys.Min() : best.FromDay;
        var spanTo = Math.Min(today, Math.Max(best.ToDay, firstDay + options.MaxWindowDays - 1));
        var spanFrom = Math.Min(best.FromDay, spanTo - options.MaxWindowDays + 1);
        var all = new List<double>();
        var near = new List<double>();
        foreach (var other in context.Sharing.Take(LocalComparisonCandidates))
        {
            var history = await store.GetTerminalAsync(other, today - options.RetentionDays, today, cancellationToken);
            if (history is null)
                continue;
            var (k, n) = RateOver(history, spanFrom, spanTo);
            if (n < options.LocalComparisonMinCards)
                continue;
            all.Add(k / n);
            if (terminal is { Lat: { } lat, Lon: { } lon } && history is { Lat: { } otherLat, Lon: { } otherLon }
                && Geo.DistanceKm(lat, lon, otherLat, otherLon) <= options.LocalComparisonRadiusKm)
                near.Add(k / n);
        }
        // The neighbours' rates are taken over the longest window (MaxWindowDays) ending with this one, so that a short
        // window is not compared with neighbours holding no compromised card yet. Near the start of the data that span
        // reaches forward instead, never past today (no peeking ahead): a shop's first three days were otherwise compared
        // with three days of neighbours, nearly all at zero. And never below the town's base rate: an empty
        // neighbourhood is not evidence that this terminal stands out.
        // The neighbours first: an echo's peers are the terminals around it, while its victims' terminals elsewhere (work,
        // the station, the city centre) see few of them and would make any neighbourhood terminal look exceptional.
        var rates = near.Count >= options.LocalComparisonMinTerminals ? near : all;
        if (rates.Count < options.LocalComparisonMinTerminals)
            return true;
        rates.Sort();
        var median = Math.Max(baseRate.All, rates.Count % 2 == 1 ? rates[rates.Count / 2] : (rates[rates.Count / 2 - 1] + rates[rates.Count / 2]) / 2);
        var (ownK, ownN) = RateOver(terminal, best.FromDay, best.ToDay);
        var expected = median * Math.Max(ownN, 1);
        // Both the size of the excess and its certainty: a small shop's handful of compromised visitors can be three
        // times its neighbours' rate by chance alone.
        return ownK >= options.MinLocalRelativeRisk * expected && PoissonTail.AtLeast(ownK, expected) <= options.LocalAlpha;
    }

    /// <summary>A terminal's weighted compromised visitors and distinct cards over whole days [fromDay, toDay].</summary>
    private static (double K, int N) RateOver(TerminalHistory terminal, int fromDay, int toDay)
    {
        var (from, to) = (EventDay.Start(fromDay), EventDay.Start(toDay + 1));
        var k = terminal.Compromised.Where(v => v.Visits.Any(t => t >= from && t < to)).TotalWeight();
        var cards = new HashSet<string>(StringComparer.Ordinal);
        for (var day = fromDay; day <= toDay; day++)
            if (terminal.CardsByDay.TryGetValue(day, out var used))
                foreach (var card in used)
                    cards.Add(card.Token);
        return (k, cards.Count);
    }

    /// <summary>How many of the terminals sharing most cards are read for the comparison rate of the local test.</summary>
    private const int LocalComparisonCandidates = 20;

    private static double ExplainedWeight(List<CompromisedVisitor> evidence, Dictionary<CompromisedVisitor, HashSet<string>> otherTerminalsOf, HashSet<string> explaining) =>
        evidence.Where(v => otherTerminalsOf[v].Overlaps(explaining)).TotalWeight();

    /// <summary>How many of the unflagged terminals sharing most cards are scanned when explaining away.</summary>
    private const int ExplainingCandidates = 10;

    private static bool SameFinding(AtmAlert alert, ScanResult best) =>
        alert.CompromisedCards == best.K && alert.ExposedCards == best.N
        && alert.WindowFrom == EventDay.Start(best.FromDay) && alert.WindowTo == EventDay.Start(best.ToDay + 1);

    /// <summary>Cards that used the terminal on the window's days and have no compromise mark: the ones to block or reissue.</summary>
    private static List<CardRef> AtRisk(TerminalHistory terminal, ScanResult best)
    {
        var compromised = terminal.Compromised.Select(v => v.CardToken).ToHashSet(StringComparer.Ordinal);
        var cards = new HashSet<CardRef>();
        for (var day = best.FromDay; day <= best.ToDay; day++)
            if (terminal.CardsByDay.TryGetValue(day, out var used))
                cards.UnionWith(used.Where(c => !compromised.Contains(c.Token)));
        return [.. cards];
    }

    private async ValueTask SendCardsAtRiskAsync(AtmAlert alert, List<CardRef> atRisk, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var bank in atRisk.GroupBy(c => c.BankId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var sent = await store.GetCardsSentAsync(alert.AlertId, bank.Key, cancellationToken);
            var tokens = bank.Select(c => c.Token).Order(StringComparer.Ordinal).ToList();
            if (tokens.All(sent.Contains))
                continue;
            await sink.PublishAsync(new CardsAtRisk
            {
                AlertId = alert.AlertId,
                TerminalId = alert.TerminalId,
                BankId = bank.Key,
                IssuedAt = now,
                WindowFrom = alert.WindowFrom,
                WindowTo = alert.WindowTo,
                CardTokens = tokens,
            }, cancellationToken);
            await store.AddCardsSentAsync(alert.AlertId, bank.Key, tokens, cancellationToken);
            Counters.CardsAtRiskMessages++;
        }
    }

    private AtmAlert Build(TerminalHistory terminal, ScanResult best, DateTimeOffset now, AtmAlert? existing, int cardsAtRisk)
    {
        var from = EventDay.Start(best.FromDay);
        var to = EventDay.Start(best.ToDay + 1);
        var atm = registry.Find(terminal.TerminalId);
        return new AtmAlert
        {
            AlertId = existing?.AlertId ?? string.Create(CultureInfo.InvariantCulture, $"{terminal.TerminalId}@{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}"),
            TerminalId = terminal.TerminalId,
            TerminalType = terminal.TerminalType,
            Location = atm is not null
                ? new TerminalLocation { Name = atm.Name, Locality = atm.Locality, BankId = atm.BankId, Lat = atm.Lat, Lon = atm.Lon }
                : terminal.Lat is null ? null : new TerminalLocation { Lat = terminal.Lat, Lon = terminal.Lon },
            Status = existing is null ? AlertStatus.Raised : AlertStatus.Updated,
            Score = Math.Round(best.Score, 3),
            PValue = best.PValue,
            CompromisedCards = best.K,
            ExposedCards = best.N,
            Expected = best.Expected,
            WindowFrom = from,
            WindowTo = to,
            CardsAtRisk = cardsAtRisk,
            FirstFlaggedAt = existing?.FirstFlaggedAt ?? now,
            UpdatedAt = now,
            ModelVersion = modelVersion(),
            Evidence = [.. terminal.Compromised
                .Select(v => (Visitor: v, Visit: v.Visits.FirstOrDefault(t => t >= from && t < to)))
                .Where(x => x.Visit != default)
                .OrderBy(x => x.Visit)
                .ThenBy(x => x.Visitor.CardToken, StringComparer.Ordinal) // stores list visitors in their own orders
                .Select(x => Evidence(x.Visitor.Mark, x.Visit))],
        };
    }

    private static CompromiseEvidence Evidence(CompromiseMark mark, DateTimeOffset visit) => new()
    {
        CardToken = mark.CardToken,
        BankId = mark.BankId,
        VisitedAt = visit,
        Signal = mark.Signal,
        FraudType = mark.FraudType,
        Weight = mark.Weight,
        FirstFraudAt = mark.FirstFraudAt,
        CashoutTerminalId = mark.Cashout?.TerminalId,
        CashoutCountry = mark.Cashout?.Country,
        CashoutLat = mark.Cashout?.Lat,
        CashoutLon = mark.Cashout?.Lon,
    };
}
