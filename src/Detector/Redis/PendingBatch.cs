using StackExchange.Redis;
using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// What a batch has written so far and Redis has not yet been told: the store answers reads from Redis with these laid
/// over it, and sends them all in one MULTI/EXEC at the commit.
/// <para>
/// One is kept for the store's life and cleared for each batch, not made anew: at thousands of events a batch, the
/// arrays behind its dictionaries and sets pass the large-object threshold (85,000 bytes), and allocating them for
/// every batch set off a full, blocking collection every few batches (GC reason AllocLarge).
/// </para>
/// </summary>
internal sealed class PendingBatch
{
    private readonly Stack<HashSet<ulong>> _spareKeySets = new();

    public Dictionary<int, HashSet<ulong>> Applied { get; } = [];
    public Dictionary<int, HashSet<ulong>> AppliedBefore { get; } = [];
    public Dictionary<int, HashSet<ulong>> CheckedBefore { get; } = [];
    public Dictionary<string, List<CardVisit>> Visits { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, CompromiseMark> Marks { get; } = new(StringComparer.Ordinal);
    public Dictionary<int, long> WeightMicro { get; } = [];
    public Dictionary<int, long> StrongMicro { get; } = [];
    public Dictionary<string, Dictionary<string, CompromisedVisitor>> Visitors { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Dictionary<int, HashSet<CardRef>>> DayCards { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, CardVisit> Terminals { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> ActiveCards { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> ActiveTerminals { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, AtmAlert> Alerts { get; } = new(StringComparer.Ordinal);
    public Dictionary<(string Alert, string Bank), HashSet<string>> CardsSent { get; } = [];
    public Dictionary<string, RescanEntry?> Rescans { get; } = new(StringComparer.Ordinal);
    public Engine.Features.FeatureChanges? Features { get; set; }
    public List<(RedisKey Key, RedisValue Field)> StaleFeatureFields { get; } = [];

    /// <summary>The terminals whose windows the batch changes, with the answer of their version's increment once committed.</summary>
    public List<(string Terminal, Task<long> Version)> TerminalVersions { get; } = [];


    /// <summary>What the batch has read from Redis: the other side of the overlay.</summary>
    public BatchReads Reads { get; set; } = new();

    /// <summary>An empty set for a day's event keys (in <see cref="Applied"/>, <see cref="AppliedBefore"/> or <see cref="CheckedBefore"/>).</summary>
    public HashSet<ulong> NewKeySet() => _spareKeySets.TryPop(out var set) ? set : [];

    /// <summary>Empties the batch for the next one, keeping what its collections have grown to.</summary>
    public void Clear()
    {
        foreach (var byDay in new[] { Applied, AppliedBefore, CheckedBefore })
        {
            foreach (var set in byDay.Values)
            {
                set.Clear();
                _spareKeySets.Push(set);
            }
            byDay.Clear();
        }
        Visits.Clear();
        Marks.Clear();
        WeightMicro.Clear();
        StrongMicro.Clear();
        Visitors.Clear();
        DayCards.Clear();
        Terminals.Clear();
        ActiveCards.Clear();
        ActiveTerminals.Clear();
        Alerts.Clear();
        CardsSent.Clear();
        Rescans.Clear();
        Features = null;
        StaleFeatureFields.Clear();
        TerminalVersions.Clear();
        Reads = new BatchReads();
    }

    /// <summary>Adds a weight change of a mark (in millionths) to the batch's base-rate deltas.</summary>
    public void MoveWeight(CompromiseMark mark, int sign)
    {
        var day = EventDay.Of(mark.FirstFraudAt);
        WeightMicro[day] = WeightMicro.GetValueOrDefault(day) + sign * BaseRate.ToMicro(mark.Weight);
        if (mark.Strong)
            StrongMicro[day] = StrongMicro.GetValueOrDefault(day) + sign * BaseRate.ToMicro(mark.Weight);
    }
}
