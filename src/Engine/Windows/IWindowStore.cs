namespace SkimGuard.Engine.Windows;

/// <summary>
/// The state the CPP engine keeps, bounded by the look-back window: per card its recent visits and compromise
/// mark; per terminal the distinct cards of each day and its compromised visitors; globally the active and
/// compromised cards per day for the base rate; the keys of events already applied; the alerts raised.
/// Every write is idempotent (set or max semantics), so replaying an event changes nothing, and an event is marked
/// applied only after its writes, so a crash part-way through one replays it whole.
/// The in-process store and the Redis store pass the same contract tests.
/// </summary>
public interface IWindowStore
{
    /// <summary>
    /// Starts a batch of events: a remote store reads ahead what it will need (which of the events were applied) and
    /// may hold its writes until <see cref="CommitBatchAsync"/>. An in-memory store has nothing to do. The list is the
    /// engine's, reused for its next batch: read it during the call, keep none of it.
    /// </summary>
    ValueTask BeginBatchAsync(IReadOnlyList<(Cpp.EventKey Key, DateTimeOffset Time)> events, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Makes every write of the batch durable before the caller acknowledges its input (stores Kafka offsets).</summary>
    ValueTask CommitBatchAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Whether the event with this key (bank and txn id, or report id) was applied already.</summary>
    ValueTask<bool> IsAppliedAsync(Cpp.EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default);

    /// <summary>Records that the event was applied; the engine calls it after the event's last write.</summary>
    ValueTask MarkAppliedAsync(Cpp.EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default);

    /// <summary>The rescan schedule (last scan and pending due time per terminal), read when an engine starts.</summary>
    ValueTask<IReadOnlyList<Cpp.RescanEntry>> GetRescansAsync(CancellationToken cancellationToken = default);

    /// <summary>Saves a terminal's entry of the rescan schedule.</summary>
    ValueTask SaveRescanAsync(Cpp.RescanEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes terminals' entries from the rescan schedule.</summary>
    ValueTask RemoveRescansAsync(IReadOnlyCollection<string> terminalIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Says which cards' histories the batch is about to read, so that a remote store can read them together rather
    /// than one round trip each in the middle of the batch. A hint: any card may still be read without it.
    /// </summary>
    ValueTask ReadAheadCardsAsync(IReadOnlyCollection<string> cardTokens, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>A card's visits and mark, or an empty history for a card never seen.</summary>
    ValueTask<CardHistory> GetCardAsync(string cardToken, CancellationToken cancellationToken = default);

    /// <summary>Adds a visit to the card's history, the terminal's cards of that day and the day's active cards.</summary>
    ValueTask AddVisitAsync(CardVisit visit, CancellationToken cancellationToken = default);

    /// <summary>Keeps the stronger of the card's mark and <paramref name="mark"/>; returns the mark now in force.</summary>
    ValueTask<CompromiseMark> MarkCompromisedAsync(CompromiseMark mark, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces (by card) a compromised visitor of a terminal.</summary>
    ValueTask UpsertCompromisedVisitorAsync(string terminalId, CompromisedVisitor visitor, CancellationToken cancellationToken = default);

    /// <summary>
    /// A terminal's cards per day and its compromised visitors over [fromDay, toDay]; each visitor comes back with only
    /// its visits inside the range, so that a scan never weighs a visit against a day whose cards are gone.
    /// </summary>
    ValueTask<TerminalHistory?> GetTerminalAsync(string terminalId, int fromDay, int toDay, CancellationToken cancellationToken = default);

    /// <summary>Active cards and compromised weight over [fromDay, toDay].</summary>
    ValueTask<BaseRate> GetBaseRateAsync(int fromDay, int toDay, CancellationToken cancellationToken = default);

    /// <summary>The alert on a terminal, if one was raised.</summary>
    ValueTask<Contracts.AtmAlert?> GetAlertAsync(string terminalId, CancellationToken cancellationToken = default);

    /// <summary>Saves the newest state of an alert (replacing the terminal's previous one).</summary>
    ValueTask SaveAlertAsync(Contracts.AtmAlert alert, CancellationToken cancellationToken = default);

    /// <summary>The tokens already sent to a bank as at risk for an alert.</summary>
    ValueTask<IReadOnlySet<string>> GetCardsSentAsync(string alertId, string bankId, CancellationToken cancellationToken = default);

    /// <summary>Records tokens sent to a bank as at risk for an alert.</summary>
    ValueTask AddCardsSentAsync(string alertId, string bankId, IEnumerable<string> cardTokens, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops visits, day sets, compromised visitors and base-rate counts of days before <paramref name="stateBeforeDay"/>,
    /// and applied-event keys of days before <paramref name="appliedKeysBeforeDay"/> (a shorter horizon: they are many).
    /// </summary>
    ValueTask ExpireAsync(int stateBeforeDay, int appliedKeysBeforeDay, CancellationToken cancellationToken = default);
}
