using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// What a batch has read from Redis so far, kept until its commit so that nothing is read twice. Redis does not change
/// under a batch: its writes wait for the commit, and the store's own expiry mid-batch drops these (another replica's
/// commits to shared terminals and counts are seen at the next batch, as if read a moment earlier).
/// </summary>
internal sealed class BatchReads
{
    /// <summary>Cards' stored marks and visits (all of their retained weeks), by token.</summary>
    public Dictionary<string, StoredCard> Cards { get; } = new(StringComparer.Ordinal);

    /// <summary>The last active day Redis holds for a card (null: none), as the active-cards set scores it.</summary>
    public Dictionary<string, int?> CardDays { get; } = new(StringComparer.Ordinal);

    /// <summary>The same for terminals.</summary>
    public Dictionary<string, int?> TerminalDays { get; } = new(StringComparer.Ordinal);

    /// <summary>The base rate's stored counts over a range of days.</summary>
    public Dictionary<(int FromDay, int ToDay), StoredRange> Ranges { get; } = [];
}

/// <summary>A card as Redis held it before the batch: its mark and its visits.</summary>
internal sealed record StoredCard(CompromiseMark? Mark, IReadOnlyList<CardVisit> Visits);

/// <summary>The base rate's counts Redis held over a range of days, before the batch's own changes.</summary>
internal readonly record struct StoredRange(long ActiveCards, long ActiveTerminals, long WeightMicro, long StrongMicro);
