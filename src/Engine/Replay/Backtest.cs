using System.Diagnostics;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Contracts.Validation;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Replay;

/// <summary>
/// Replays a transaction feed and a report feed in event-time order through the CPP engine with the in-process
/// store, collecting every alert state and every cards-at-risk list it publishes; with <c>scoring</c>, every
/// transaction is scored by the fraud model as the detector would.
/// </summary>
public sealed class Backtest(CppOptions options, AtmRegistry registry, FraudScoring? scoring = null)
{
    /// <summary>Raised when the engine holds back a significant terminal (see <see cref="CompromiseEngine.HeldBack"/>).</summary>
    public event Action<HeldBack>? HeldBack;

    /// <summary>Runs the replay. <paramref name="observe"/> sees every valid event before the engine does.</summary>
    public async Task<BacktestResult> RunAsync(string transactionsPath, string reportsPath, Action<ReplayEvent>? observe = null,
        IProgress<BacktestProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var transactions = new FeedFile<Transaction>(transactionsPath, line => TransactionReader.Read(line, ReadContext.Internal));
        var reports = new FeedFile<FraudReport>(reportsPath, line => FraudReportReader.Read(line, ReadContext.Internal));
        var sink = new CollectingAlertSink();
        var store = new InProcessWindowStore();
        var engine = new CompromiseEngine(store, sink, options, registry, scoring);
        engine.HeldBack += held => HeldBack?.Invoke(held);
        var signatureMarked = new HashSet<string>(StringComparer.Ordinal);
        engine.CardMarked += mark =>
        {
            if (mark.Signal == Signals.CounterfeitSignature)
                signatureMarked.Add(mark.CardToken);
        };
        long events = 0, outOfOrder = 0;
        var latest = DateTimeOffset.MinValue;
        foreach (var e in EventTimeMerge.Merge(transactions.Records().Select(ReplayEvent.Of), reports.Records().Select(ReplayEvent.Of), cancellationToken))
        {
            // Feeds should be sorted; an older event is still applied (the store keeps histories in order) but counted.
            if (e.Time < latest)
                outOfOrder++;
            else
                latest = e.Time;
            observe?.Invoke(e);
            if (e.Transaction is { } tx)
                await engine.ProcessAsync(tx, cancellationToken);
            else
                await engine.ProcessAsync(e.Report!, cancellationToken);
            if (++events % 100_000 == 0)
                progress?.Report(new BacktestProgress(events, latest, engine.Counters.AlertsRaised, clock.Elapsed));
        }
        // Evidence that came in during the last rescan interval is still waiting for its rescan.
        await engine.FlushRescansAsync(DateTimeOffset.MaxValue, cancellationToken);
        progress?.Report(new BacktestProgress(events, latest, engine.Counters.AlertsRaised, clock.Elapsed));
        return new BacktestResult(
            [.. sink.Alerts.Values.OrderBy(a => a.FirstFlaggedAt).ThenBy(a => a.TerminalId, StringComparer.Ordinal)],
            sink.CardsAtRisk, engine.Counters, events, outOfOrder,
            new FeedStats(transactions.LinesRead, transactions.RejectedCount, [.. transactions.Rejected]),
            new FeedStats(reports.LinesRead, reports.RejectedCount, [.. reports.Rejected]),
            clock.Elapsed, store.CardCount, signatureMarked);
    }

    private sealed class CollectingAlertSink : IAlertSink
    {
        public Dictionary<string, AtmAlert> Alerts { get; } = new(StringComparer.Ordinal);
        public List<CardsAtRisk> CardsAtRisk { get; } = [];

        public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken)
        {
            Alerts[alert.AlertId] = alert;
            return ValueTask.CompletedTask;
        }

        public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken)
        {
            CardsAtRisk.Add(cardsAtRisk);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>What a backtest found and how it went.</summary>
/// <param name="Alerts">The newest state of every alert, first flagged first.</param>
/// <param name="CardsAtRisk">Every cards-at-risk list in the order issued.</param>
/// <param name="Counters">The engine's counters.</param>
/// <param name="Events">Valid events replayed.</param>
/// <param name="OutOfOrder">Events older than one before them.</param>
/// <param name="Transactions">The transaction feed's line counts and rejected lines.</param>
/// <param name="Reports">The report feed's line counts and rejected lines.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="CardsInStoreAtEnd">Cards the store still held at the end (bounded by the look-back).</param>
/// <param name="SignatureMarkedCards">Cards the counterfeit signature marked before any report did.</param>
public sealed record BacktestResult(
    IReadOnlyList<AtmAlert> Alerts, IReadOnlyList<CardsAtRisk> CardsAtRisk, EngineCounters Counters, long Events, long OutOfOrder,
    FeedStats Transactions, FeedStats Reports, TimeSpan Elapsed, int CardsInStoreAtEnd, IReadOnlySet<string> SignatureMarkedCards);

/// <summary>Lines read and rejected in one feed file.</summary>
/// <param name="Lines">Non-blank lines read.</param>
/// <param name="Rejected">Lines skipped as malformed or invalid.</param>
/// <param name="FirstRejected">The first rejected lines with their reasons.</param>
public sealed record FeedStats(long Lines, long Rejected, IReadOnlyList<RejectedLine> FirstRejected);

/// <summary>How far a backtest has come.</summary>
/// <param name="Events">Events replayed.</param>
/// <param name="EventTime">The latest event time.</param>
/// <param name="Alerts">Alerts raised so far.</param>
/// <param name="Elapsed">Wall time so far.</param>
public readonly record struct BacktestProgress(long Events, DateTimeOffset EventTime, long Alerts, TimeSpan Elapsed);
