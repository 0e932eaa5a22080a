using StackExchange.Redis;
using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// What a batch has written so far and Redis has not yet been told: the store answers reads from Redis with these laid
/// over it, and sends them all in one MULTI/EXEC at the commit.
/// </summary>
internal sealed class PendingBatch
{
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

    /// <summary>What the batch has read from Redis: the other side of the overlay.</summary>
    public BatchReads Reads { get; set; } = new();

    /// <summary>Adds a weight change of a mark (in millionths) to the batch's base-rate deltas.</summary>
    public void MoveWeight(CompromiseMark mark, int sign)
    {
        var day = EventDay.Of(mark.FirstFraudAt);
        WeightMicro[day] = WeightMicro.GetValueOrDefault(day) + sign * BaseRate.ToMicro(mark.Weight);
        if (mark.Strong)
            StrongMicro[day] = StrongMicro.GetValueOrDefault(day) + sign * BaseRate.ToMicro(mark.Weight);
    }
}
