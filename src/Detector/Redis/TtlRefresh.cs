using System.IO.Hashing;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// Remembers which keys this process gave a TTL in the last week, so that a key written by every batch gets one EXPIRE
/// a week instead of one per write: the TTL is the retention plus that week, so a key still lives at least the
/// retention after its last write. Keys are remembered by a 64-bit hash (about 24 bytes each; a collision costs one
/// key's refresh for a week, while the TTL it already has keeps running). A new process, or a new store after a failure,
/// starts with an empty memory and sets every TTL again, which is harmless.
/// </summary>
internal sealed class TtlRefresh(TimeProvider clock)
{
    /// <summary>How long a key's TTL is trusted before it is set again.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromDays(7);

    private readonly Dictionary<ulong, DateTimeOffset> _setAt = [];
    private readonly List<ulong> _setInBatch = [];
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    /// <summary>The TTL to give a key that must live <paramref name="retention"/> after its last write.</summary>
    public static TimeSpan Ttl(TimeSpan retention) => retention + Every;

    /// <summary>
    /// True when <paramref name="key"/> needs its TTL set in this batch (then it is taken as set once the batch
    /// commits); false when this process set it within the week.
    /// </summary>
    public bool IsDue(RedisKey key)
    {
        var hash = Hash(key);
        if (_setAt.TryGetValue(hash, out var setAt) && clock.GetUtcNow() - setAt < Every)
            return false;
        _setInBatch.Add(hash);
        return true;
    }

    /// <summary>The batch committed: the TTLs it carried are set.</summary>
    public void Committed()
    {
        var now = clock.GetUtcNow();
        foreach (var hash in _setInBatch)
            _setAt[hash] = now;
        _setInBatch.Clear();
        if (now - _prunedAt > TimeSpan.FromHours(1))
        {
            // Forget keys whose week is over, so the memory holds about a week of keys.
            foreach (var stale in _setAt.Where(e => now - e.Value >= Every).Select(e => e.Key).ToList())
                _setAt.Remove(stale);
            _prunedAt = now;
        }
    }

    /// <summary>The batch was not committed: its TTLs are not set.</summary>
    public void Abandoned() => _setInBatch.Clear();

    private static ulong Hash(RedisKey key)
    {
        var text = (string)key!;
        return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text.AsSpan()));
    }
}
