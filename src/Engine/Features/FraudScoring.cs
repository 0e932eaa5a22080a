using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;

namespace SkimGuard.Engine.Features;

/// <summary>
/// Scores every transaction with the current fraud model on its point-in-time features, and keeps the feature windows
/// up to date with every event. The model comes from <paramref name="currentModel"/> at each transaction, so a model
/// swapped in while events flow scores the very next one: nothing stops, nothing is skipped.
/// </summary>
public sealed class FraudScoring(Func<ITransactionScorer?> currentModel)
{
    private readonly float[] _features = new float[FeatureSchema.Count];
    private readonly HashSet<string> _batchCards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _batchTerminals = new(StringComparer.Ordinal);
    private IFeatureStore? _store; // the store the windows were loaded from, if any

    /// <summary>The feature windows (for inspection and explanations).</summary>
    public FeatureWindows Windows { get; } = new();

    /// <summary>The version of the model scoring now, or "none".</summary>
    public string ModelVersion => currentModel()?.Version ?? "none";

    /// <summary>Sees each scored transaction with its features and score (for explanations); the vector is reused after the call.</summary>
    public event Action<Transaction, ReadOnlyMemory<float>, float>? Scored;

    /// <summary>Scores a transaction on the history before it, then adds it to the windows; null when no model is loaded.</summary>
    public float? ScoreAndObserve(Transaction tx)
    {
        float? score = null;
        if (currentModel() is { } model)
        {
            Windows.Extract(tx, _features);
            score = model.Score(_features);
            Scored?.Invoke(tx, _features, score.Value);
        }
        Windows.Observe(tx);
        return score;
    }

    /// <summary>Takes in a fraud report at its reported_at.</summary>
    public void Observe(FraudReport report) => Windows.Observe(report);

    /// <summary>
    /// Before a batch, with a store that keeps the feature windows: loads the state of the batch's cards the process does
    /// not hold already, then of the batch's terminals and the terminals its cards used, as far as the process does not
    /// hold them as they are. Cards are held from batch to batch by the replica consuming their transactions (their
    /// partition's owner, the only one that adds to them); a terminal, which every replica changes, is read again when
    /// another replica has written it (the store keeps count). A card any replica reported since the last batch is read
    /// again, as is everything after a change of store (a detector recovering from a failure).
    /// </summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Replay.ReplayEvent> events, IFeatureStore store, CancellationToken cancellationToken = default)
    {
        if (!ReferenceEquals(store, _store))
        {
            Windows.Clear();
            _store = store;
        }
        Windows.TrackChanges();
        foreach (var token in await store.TakeCardsReportedAsync(cancellationToken))
            Windows.ForgetCard(token);
        _batchCards.Clear();
        _batchTerminals.Clear();
        var latest = DateTimeOffset.MinValue;
        foreach (var e in events)
        {
            _batchCards.Add(e.Transaction?.CardToken ?? e.Report!.CardToken);
            if (e.Transaction is { } tx)
                _batchTerminals.Add(tx.TerminalId);
            if (e.Time > latest)
                latest = e.Time;
        }
        var cardsToRead = _batchCards.Where(token => !Windows.Holds(token)).ToList();
        if (cardsToRead.Count > 0)
            Windows.LoadCards(await store.GetFeatureCardsAsync(cardsToRead, latest, cancellationToken));
        Windows.AddTerminalsVisited(_batchCards, latest, _batchTerminals);
        Windows.LoadTerminals(await store.GetFeatureTerminalsAsync(_batchTerminals, latest, cancellationToken));
    }

    /// <summary>
    /// Forgets the cards held from batch to batch (with a store that keeps the windows; without one the windows are the
    /// only state, and stay). The detector calls it when its partitions change: a card whose partition went elsewhere
    /// and came back may have been changed meanwhile.
    /// </summary>
    public void ForgetHeldCards()
    {
        if (_store is not null)
            Windows.ForgetCards();
    }

    /// <summary>How many cards' windows the process holds.</summary>
    public int HeldCards => Windows.CardCount;

    /// <summary>
    /// After a batch's events: hands their changes to the store, to be committed with the batch, and lets go of cards
    /// read only for a report (another replica consumes their transactions).
    /// </summary>
    public void EndBatch(IFeatureStore store)
    {
        store.SaveFeatureChanges(Windows.TakeChanges());
        Windows.ForgetCardsNotObservedHere();
    }
}
