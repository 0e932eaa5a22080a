using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace SkimGuard.Ingest.Records;

/// <summary>
/// Remembers the records accepted within the duplicate window, by a 64-bit hash of kind, bank and id, so that a batch
/// sent twice (a bank's retry after a timeout) is counted once. In this process's memory: one Ingest replica, or
/// replicas that each own a set of banks. Bounded by the window and by a capacity, the oldest forgotten first.
/// </summary>
public sealed class Deduplicator(TimeSpan window, int capacity, TimeProvider clock)
{
    private readonly Dictionary<ulong, long> _acceptedAt = [];
    private readonly Queue<(ulong Key, long At)> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Claims the ids of a request: true for each not seen within the window (now remembered), false for a duplicate.</summary>
    public bool[] Claim(char kind, string bankId, IReadOnlyList<string> ids)
    {
        var now = clock.GetUtcNow().UtcTicks;
        var fresh = new bool[ids.Count];
        lock (_lock)
        {
            Forget(now);
            for (var i = 0; i < ids.Count; i++)
            {
                var key = KeyOf(kind, bankId, ids[i]);
                ref var at = ref CollectionsMarshal.GetValueRefOrAddDefault(_acceptedAt, key, out var seen);
                if (seen && at >= now - window.Ticks)
                    continue;
                at = now;
                _order.Enqueue((key, now));
                fresh[i] = true;
            }
        }
        return fresh;
    }

    /// <summary>Gives back ids claimed by a request that then failed, so that its retry is accepted.</summary>
    public void Release(char kind, string bankId, IEnumerable<string> ids)
    {
        lock (_lock)
        {
            foreach (var id in ids)
                _acceptedAt.Remove(KeyOf(kind, bankId, id));
        }
    }

    private void Forget(long now)
    {
        while (_order.TryPeek(out var oldest) && (oldest.At < now - window.Ticks || _order.Count > capacity))
        {
            _order.Dequeue();
            // Only if it was not claimed again since (released and re-claimed ids have a newer entry).
            if (_acceptedAt.TryGetValue(oldest.Key, out var at) && at == oldest.At)
                _acceptedAt.Remove(oldest.Key);
        }
    }

    private static ulong KeyOf(char kind, string bankId, string id) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes($"{kind}|{bankId}|{id}"));
}
