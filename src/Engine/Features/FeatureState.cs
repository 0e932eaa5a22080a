namespace SkimGuard.Engine.Features;

/// <summary>The day counts a terminal's feature windows keep.</summary>
public enum TerminalCount
{
    /// <summary>Transactions, by the day they happened.</summary>
    Transactions,

    /// <summary>Frauds reported there, by the day the report was received.</summary>
    ReportedFrauds,

    /// <summary>Frauds reported there, by the day the fraudulent transaction happened.</summary>
    FraudsByTransactionDay,

    /// <summary>Cards reported defrauded that had visited it, by the day the report was received.</summary>
    CompromisedVisitors,

    /// <summary>
    /// Reported frauds whose amount was ordinary for their card, by the day the report was received: frauds the card's
    /// habits do not explain, which point at the terminal.
    /// </summary>
    OrdinaryFrauds,
}

/// <summary>One card's feature windows as a store keeps them.</summary>
/// <param name="HomeCountry">The country of the card's first transaction.</param>
/// <param name="Transactions">Its transactions inside the retention, in any order (the windows sort them).</param>
/// <param name="ReportedAt">When its first fraud report was received.</param>
public sealed record CardFeatureState(string HomeCountry, IReadOnlyList<FeatureTransaction> Transactions, DateTimeOffset? ReportedAt);

/// <summary>A past transaction as the card's windows keep it.</summary>
/// <param name="Ticks">When (UTC ticks).</param>
/// <param name="AmountMinor">Amount in minor units.</param>
/// <param name="TerminalId">Where.</param>
/// <param name="TxnId">The bank's id, to find it when a report names it.</param>
/// <param name="CardPresent">Read at a terminal.</param>
/// <param name="Magstripe">Magstripe or fallback.</param>
/// <param name="Foreign">Outside the card's home country.</param>
/// <param name="Lat">Latitude, NaN when unknown.</param>
/// <param name="Lon">Longitude, NaN when unknown.</param>
/// <param name="Seq">
/// The card's count of transactions taken in before this one: two transactions of the same instant, read back from a
/// store, keep the order they came in.
/// </param>
public readonly record struct FeatureTransaction(
    long Ticks, long AmountMinor, string TerminalId, string TxnId, bool CardPresent, bool Magstripe, bool Foreign, double Lat, double Lon, int Seq);

/// <summary>One terminal's feature windows as a store keeps them.</summary>
/// <param name="Counts">Day counts of each kind.</param>
/// <param name="Frauds">Reported frauds: when each report was received and when its fraud happened (UTC ticks).</param>
public sealed record TerminalFeatureState(IReadOnlyList<(TerminalCount Kind, int Day, int Count)> Counts, IReadOnlyList<(long Reported, long Fraud)> Frauds);

/// <summary>
/// What a batch of events changed in the feature windows: each card's transactions added (a card's transactions come
/// from one partition, so one replica writes them), first reports, and increments for terminals (which every replica
/// touches).
/// </summary>
public sealed class FeatureChanges
{
    /// <summary>What changed in each card whose transactions changed.</summary>
    public Dictionary<string, CardChange> Cards { get; } = new(StringComparer.Ordinal);

    /// <summary>Cards reported for the first time, and when.</summary>
    public Dictionary<string, DateTimeOffset> Reported { get; } = new(StringComparer.Ordinal);

    /// <summary>One more of a kind on a terminal's day, once per entry.</summary>
    public List<(string Terminal, TerminalCount Kind, int Day)> TerminalCounts { get; } = [];

    /// <summary>Reported frauds to remember on a terminal.</summary>
    public List<(string Terminal, long Reported, long Fraud)> TerminalFrauds { get; } = [];

    /// <summary>True when nothing changed.</summary>
    public bool IsEmpty => Cards.Count == 0 && Reported.Count == 0 && TerminalCounts.Count == 0 && TerminalFrauds.Count == 0;

    /// <summary>The change record of a card, made on first use.</summary>
    public CardChange Card(string token)
    {
        ref var change = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Cards, token, out _);
        return change ??= new CardChange();
    }
}

/// <summary>What a batch changed in one card's windows, and the card as the windows hold it after the batch.</summary>
public sealed class CardChange
{
    /// <summary>Transactions taken in.</summary>
    public List<FeatureTransaction> Added { get; } = [];

    /// <summary>The card's home country.</summary>
    public string HomeCountry { get; set; } = "";

    /// <summary>When its first fraud report was received, if it was.</summary>
    public DateTimeOffset? ReportedAt { get; set; }

    /// <summary>
    /// Every transaction the windows hold of the card, oldest first (a view of them: read it before the next batch),
    /// so that a store can write whole periods of the card's history that the added ones fall in.
    /// </summary>
    public IReadOnlyList<FeatureTransaction> Transactions { get; set; } = [];
}

/// <summary>
/// A window store that also keeps the fraud features' windows (the Redis store): the scoring loads the state a batch
/// needs at its start (what the process does not hold already, or holds out of date) and hands back the
/// batch's changes, which the store commits with the batch's other writes.
/// </summary>
public interface IFeatureStore
{
    /// <summary>The feature state of these cards as of <paramref name="now"/> (cards never seen, or not inside the retention, are absent).</summary>
    ValueTask<IReadOnlyDictionary<string, CardFeatureState>> GetFeatureCardsAsync(IReadOnlyCollection<string> cardTokens, DateTimeOffset now,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// The feature state of those of these terminals whose windows the process must replace (null: the store has
    /// nothing of it). A terminal left out is as the process holds it: as this store last returned it, with the changes
    /// saved since. Every replica changes terminals, so a store returns one again whenever another replica has written
    /// it, and at least once an event day (<paramref name="now"/>'s), when it also deletes what fell out of the windows.
    /// </summary>
    ValueTask<IReadOnlyDictionary<string, TerminalFeatureState?>> GetFeatureTerminalsAsync(IReadOnlyCollection<string> terminalIds, DateTimeOffset now,
        CancellationToken cancellationToken = default);

    /// <summary>Holds the batch's feature changes for the batch's commit.</summary>
    void SaveFeatureChanges(FeatureChanges changes);

    /// <summary>
    /// The cards that any replica reported for the first time since the last call (none on the first call, which starts
    /// the count): a replica holding such a card across batches holds it without its report, and must read it again.
    /// </summary>
    ValueTask<IReadOnlyCollection<string>> TakeCardsReportedAsync(CancellationToken cancellationToken = default);
}
