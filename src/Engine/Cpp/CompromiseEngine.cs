using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Replay;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// The common-point-of-compromise engine. Fed transactions and fraud reports in event-time order, it marks cards
/// compromised (a report, from its reported_at; or a clone's cash-out, at once), gives every card-present terminal the
/// card visited in its look-back a compromised visitor, rescans those terminals, and raises or updates an alert when a
/// terminal's compromised visitors are too many for chance. It never looks past the event it is processing.
/// </summary>
public sealed class CompromiseEngine(IWindowStore store, IAlertSink sink, CppOptions options, AtmRegistry registry, Features.FraudScoring? scoring = null)
{
    private readonly AlertPublisher _alerts = new(store, sink, options, registry, () => scoring?.ModelVersion ?? "none");
    private readonly RescanScheduler _rescans = new(options.RescanInterval);
    private int _expiredOnDay = int.MinValue;
    private Task _committing = Task.CompletedTask; // the last batch's store commit
    private (EventKey, DateTimeOffset)[] _batchKeys = [];

    /// <summary>What the engine has done so far.</summary>
    public EngineCounters Counters => _alerts.Counters;

    /// <summary>Raised when a terminal that scanned significant is not flagged, with the reason.</summary>
    public event Action<HeldBack>? HeldBack
    {
        add => _alerts.HeldBack += value;
        remove => _alerts.HeldBack -= value;
    }

    /// <summary>Raised when a mark becomes a card's strongest (for metrics and for measuring the signature's precision).</summary>
    public event Action<CompromiseMark>? CardMarked;

    /// <summary>
    /// Applies a batch of events in order as one unit: the store reads ahead which of them were applied, the events
    /// run, the sink makes what they published durable, and only then does the store commit (marking them applied).
    /// A crash anywhere before the commit replays the whole batch, and every write it repeats is idempotent.
    /// Returns how many of each kind were new and how many were applied before. <paramref name="rescansDueBy"/> also runs the deferred rescans due by then
    /// (the detector passes the wall clock when it is idle, so a rescan due at 10:00 runs at 10:00 without new traffic).
    /// </summary>
    public async ValueTask<BatchOutcome> ProcessBatchAsync(IReadOnlyList<ReplayEvent> events, DateTimeOffset? rescansDueBy = null, CancellationToken cancellationToken = default)
    {
        var (outcome, committed) = await ApplyBatchAsync(events, rescansDueBy, cancellationToken);
        await committed;
        return outcome;
    }

    /// <summary>
    /// <see cref="ProcessBatchAsync"/>, returning as soon as the store's commit is under way, with a task for its end: the
    /// caller may read its next input while the store commits (the Redis detector's commit is a third of its time, spent
    /// waiting for Redis), but must not acknowledge this batch's input before the task completes. The engine's next batch
    /// waits for it before it reads anything, and fails if the commit failed.
    /// </summary>
    public async ValueTask<(BatchOutcome Outcome, Task Committed)> ApplyBatchAsync(IReadOnlyList<ReplayEvent> events, DateTimeOffset? rescansDueBy = null,
        CancellationToken cancellationToken = default)
    {
        await _committing;
        // Kept from batch to batch: at thousands of events it is a large object, and a new one each batch set off full
        // collections (see Redis's PendingBatch).
        if (_batchKeys.Length < events.Count)
            _batchKeys = new (EventKey, DateTimeOffset)[events.Count];
        for (var i = 0; i < events.Count; i++)
            _batchKeys[i] = (events[i].Key, events[i].Time);
        await store.BeginBatchAsync(new ArraySegment<(EventKey, DateTimeOffset)>(_batchKeys, 0, events.Count), cancellationToken);
        await store.ReadAheadCardsAsync(CardsToRead(events), cancellationToken);
        // A store that keeps the fraud features' windows (Redis) loads them for the batch and commits them with it.
        var featureStore = scoring is null ? null : store as Features.IFeatureStore;
        if (featureStore is not null)
            await scoring!.BeginBatchAsync(events, featureStore, cancellationToken);
        var outcome = new BatchOutcome();
        foreach (var e in events)
        {
            if (e.Transaction is { } tx)
            {
                if (await ProcessAsync(tx, cancellationToken))
                    outcome.Transactions++;
                else
                    outcome.DuplicateTransactions++;
            }
            else if (await ProcessAsync(e.Report!, cancellationToken))
                outcome.Reports++;
            else
                outcome.DuplicateReports++;
        }
        if (rescansDueBy is { } dueBy)
            await FlushRescansAsync(dueBy, cancellationToken);
        if (featureStore is not null)
            scoring!.EndBatch(featureStore);
        await sink.FlushAsync(cancellationToken);
        _committing = store.CommitBatchAsync(cancellationToken).AsTask();
        return (outcome, _committing);
    }

    /// <summary>
    /// The cards whose histories the batch will read: every reported card and every card in a possible clone's cash-out.
    /// (A card the model suspects is known only once it is scored, and is read then.) In a fraud wave these are hundreds
    /// a batch, and read one by one they made the Redis detector's slowest batches (docs/benchmarks/detector.md).
    /// </summary>
    private static HashSet<string> CardsToRead(IReadOnlyList<ReplayEvent> events)
    {
        var cards = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Report is { } report)
                cards.Add(report.CardToken);
            else if (e.Transaction is { IsCardPresent: true } tx && CounterfeitSignature.IsCandidate(tx))
                cards.Add(tx.CardToken);
        }
        return cards;
    }

    /// <summary>Applies a transaction; false when it was applied before.</summary>
    public async ValueTask<bool> ProcessAsync(Transaction tx, CancellationToken cancellationToken = default)
    {
        await AdvanceToAsync(tx.Timestamp, cancellationToken);
        var key = EventKey.Of(tx);
        if (await store.IsAppliedAsync(key, tx.Timestamp, cancellationToken))
        {
            Counters.Duplicates++;
            return false;
        }
        Counters.Transactions++;
        var score = scoring?.ScoreAndObserve(tx);
        if (score is not null)
            Counters.Scored++;
        // Only a card read at a terminal can be skimmed there; declined reads count too, the skimmer saw the card.
        if (tx.IsCardPresent)
            await ApplyCardPresentAsync(tx, score, cancellationToken);
        await store.MarkAppliedAsync(key, tx.Timestamp, cancellationToken);
        return true;
    }

    private async ValueTask ApplyCardPresentAsync(Transaction tx, float? score, CancellationToken cancellationToken)
    {
        var signatureCandidate = CounterfeitSignature.IsCandidate(tx);
        var modelSuspects = score >= options.ModelSuspicionThreshold && options.ModelSuspicionWeight > 0;
        if ((signatureCandidate || modelSuspects) && await store.GetCardAsync(tx.CardToken, cancellationToken) is { Mark: null } history)
        {
            // The signature is the stronger, better-measured evidence; the model's score counts when it alone fires.
            var signatureWeight = signatureCandidate ? CounterfeitSignature.WeightOf(tx, history, options, registry) : 0;
            var (signal, weight) = signatureWeight > 0
                ? (Signals.CounterfeitSignature, signatureWeight)
                : modelSuspects ? (Signals.ModelScore, options.ModelSuspicionWeight * score!.Value) : (null, 0.0);
            if (signal is not null)
            {
                if (signal == Signals.CounterfeitSignature)
                    Counters.SignatureMarks++;
                else
                    Counters.ModelMarks++;
                var mark = new CompromiseMark(tx.CardToken, tx.BankId, weight, signal, null,
                    tx.Timestamp, tx.Timestamp, new CashoutPlace(tx.TerminalId, tx.Country, tx.Lat, tx.Lon), weight >= options.StrongEvidenceWeight);
                await MarkAndRescanAsync(mark, history, tx.Timestamp, cancellationToken);
            }
        }
        await store.AddVisitAsync(new CardVisit(tx.CardToken, tx.BankId, tx.TerminalId, tx.TerminalType, tx.Timestamp, tx.Lat, tx.Lon, tx.Country), cancellationToken);
    }

    /// <summary>Applies a fraud report at its reported_at; false when it was applied before.</summary>
    public async ValueTask<bool> ProcessAsync(FraudReport report, CancellationToken cancellationToken = default)
    {
        await AdvanceToAsync(report.ReportedAt, cancellationToken);
        var key = EventKey.Of(report);
        if (await store.IsAppliedAsync(key, report.ReportedAt, cancellationToken))
        {
            Counters.Duplicates++;
            return false;
        }
        Counters.Reports++;
        scoring?.Observe(report);
        var history = await store.GetCardAsync(report.CardToken, cancellationToken);
        var weight = options.ReportWeights.GetValueOrDefault(report.FraudType);
        var mark = new CompromiseMark(report.CardToken, report.BankId, weight, Signals.FraudReport,
            report.FraudType, FirstFraud(report, history.Mark), report.ReportedAt, history.Mark?.Cashout, weight >= options.StrongEvidenceWeight);
        await MarkAndRescanAsync(mark, history, report.ReportedAt, cancellationToken);
        await store.MarkAppliedAsync(key, report.ReportedAt, cancellationToken);
        return true;
    }

    /// <summary>
    /// Keeps the card's strongest mark; if this one is it, every terminal the card used in [first fraud - L,
    /// first fraud - d] gets the card as a compromised visitor and is rescanned.
    /// </summary>
    private async ValueTask MarkAndRescanAsync(CompromiseMark mark, CardHistory history, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var kept = await store.MarkCompromisedAsync(mark, cancellationToken);
        if (kept != mark)
            return;
        CardMarked?.Invoke(mark);
        var exposedFrom = mark.FirstFraudAt - options.LookBack;
        var exposedTo = mark.FirstFraudAt - options.MinCashoutDelay;
        var exposures = history.Visits
            .Where(v => v.Time >= exposedFrom && v.Time <= exposedTo)
            .GroupBy(v => v.TerminalId, StringComparer.Ordinal);
        foreach (var visits in exposures)
        {
            await store.UpsertCompromisedVisitorAsync(visits.Key, new CompromisedVisitor(mark, [.. visits.Select(v => v.Time)]), cancellationToken);
            // The schedule is saved after the scan it records, so a crash in between repeats the scan, never loses it.
            if (_rescans.Request(visits.Key, now))
                await _alerts.RescanAsync(visits.Key, now, cancellationToken);
            await store.SaveRescanAsync(_rescans.EntryOf(visits.Key), cancellationToken);
        }
    }

    /// <summary>
    /// When the card's fraud began, for a report: the day it names, unless the card was already seen defrauded earlier (a
    /// clone's cash-out, or an earlier report). Banks name the wrong first day now and then, mostly a later one; a report
    /// replaces the lighter signature mark, and with the later day the clone's own cash-outs before it would count as
    /// exposures, flagging the gang's cash-out ATMs in Delhi or Dubai as compromise points. A model mark is a suspicion,
    /// not a fraud seen, and does not move the day.
    /// </summary>
    private static DateTimeOffset FirstFraud(FraudReport report, CompromiseMark? known)
    {
        var named = report.FirstFraudAt ?? report.ReportedAt;
        return known is { Signal: not Signals.ModelScore } && known.FirstFraudAt < named ? known.FirstFraudAt : named;
    }

    /// <summary>
    /// Runs the deferred rescans due by <paramref name="until"/>, each at its due time. The end of a replay calls it
    /// with the last event's time, or later to take in evidence still waiting for its rescan.
    /// </summary>
    public async ValueTask FlushRescansAsync(DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        while (_rescans.TryTakeDue(until, out var terminalId, out var due))
        {
            await _alerts.RescanAsync(terminalId, due, cancellationToken);
            await store.SaveRescanAsync(_rescans.EntryOf(terminalId), cancellationToken);
        }
    }

    /// <summary>
    /// Takes up the rescan schedule kept in the store, so that an engine restarted after a crash, or a second one
    /// sharing the store, rescans when an uninterrupted engine would have.
    /// </summary>
    public async ValueTask LoadScheduleAsync(CancellationToken cancellationToken = default)
    {
        foreach (var entry in await store.GetRescansAsync(cancellationToken))
            _rescans.Restore(entry);
    }

    /// <summary>
    /// Brings the engine to event time <paramref name="now"/>: runs rescans that fell due before it and, once per
    /// event-time day, drops state older than the retention and applied keys older than the dedupe window.
    /// </summary>
    private async ValueTask AdvanceToAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await FlushRescansAsync(now, cancellationToken);
        var today = EventDay.Of(now);
        if (today <= _expiredOnDay)
            return;
        _expiredOnDay = today;
        await store.ExpireAsync(today - options.RetentionDays, today - (int)Math.Ceiling(options.DedupeWindow.TotalDays), cancellationToken);
        var forgotten = _rescans.Forget(now - options.RescanInterval);
        if (forgotten.Count > 0)
            await store.RemoveRescansAsync(forgotten, cancellationToken);
    }
}

/// <summary>What a batch did: new events of each kind, and events applied before (redelivered or resent).</summary>
public sealed class BatchOutcome
{
    /// <summary>Transactions applied for the first time.</summary>
    public int Transactions { get; set; }

    /// <summary>Reports applied for the first time.</summary>
    public int Reports { get; set; }

    /// <summary>Transactions already applied before.</summary>
    public int DuplicateTransactions { get; set; }

    /// <summary>Reports already applied before.</summary>
    public int DuplicateReports { get; set; }
}
