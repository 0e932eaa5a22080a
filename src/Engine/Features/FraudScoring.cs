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
    /// Before a batch, with a store that keeps the feature windows: forgets what the process held (another replica may
    /// have changed it since) and loads the state of the batch's cards, of their terminals and of the batch's
    /// terminals. Two round trips: the cards name the terminals their features read.
    /// </summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Replay.ReplayEvent> events, IFeatureStore store, CancellationToken cancellationToken = default)
    {
        Windows.TrackChanges();
        Windows.Clear();
        var cardTokens = events.Select(e => e.Transaction?.CardToken ?? e.Report!.CardToken).ToHashSet(StringComparer.Ordinal);
        var cards = await store.GetFeatureCardsAsync(cardTokens, cancellationToken);
        var latest = events.Count > 0 ? events.Max(e => e.Time) : DateTimeOffset.MinValue;
        var terminalIds = events.Where(e => e.Transaction is not null).Select(e => e.Transaction!.TerminalId)
            .Concat(cards.Values.SelectMany(card => FeatureWindows.TerminalsVisited(card, latest)))
            .ToHashSet(StringComparer.Ordinal);
        var terminals = await store.GetFeatureTerminalsAsync(terminalIds, cancellationToken);
        Windows.Load(cards, terminals);
    }

    /// <summary>After a batch's events: hands their changes to the store, to be committed with the batch.</summary>
    public void EndBatch(IFeatureStore store) => store.SaveFeatureChanges(Windows.TakeChanges());
}
