using System.Collections.Concurrent;

namespace SkimGuard.Ingest.Records;

/// <summary>Each bank's own counters, for GET /v1/feed-status: a bank sees its own and nothing of the others'.</summary>
public sealed class FeedStatus
{
    private readonly ConcurrentDictionary<string, BankFeed> _banks = new(StringComparer.Ordinal);

    /// <summary>The bank's counters (created on first use).</summary>
    public BankFeed Of(string bankId) => _banks.GetOrAdd(bankId, _ => new BankFeed());
}

/// <summary>One bank's counters since this process started.</summary>
public sealed class BankFeed
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _rejectedByReason = new(StringComparer.Ordinal);
    private long _accepted, _duplicates;
    private DateTimeOffset? _lastRecordAt;

    /// <summary>Adds a request's outcome.</summary>
    public void Add(int accepted, int duplicates, IEnumerable<string> rejectedCodes, DateTimeOffset? latestRecord)
    {
        lock (_lock)
        {
            _accepted += accepted;
            _duplicates += duplicates;
            foreach (var code in rejectedCodes)
                _rejectedByReason[code] = _rejectedByReason.GetValueOrDefault(code) + 1;
            if (latestRecord is { } at && (_lastRecordAt is null || at > _lastRecordAt))
                _lastRecordAt = at;
        }
    }

    /// <summary>A copy of the counters.</summary>
    public FeedStatusResponse Snapshot(string bankId)
    {
        lock (_lock)
            return new FeedStatusResponse(bankId, _accepted, _duplicates, _rejectedByReason.Values.Sum(), new Dictionary<string, long>(_rejectedByReason), _lastRecordAt);
    }
}

/// <summary>GET /v1/feed-status.</summary>
public sealed record FeedStatusResponse(string BankId, long Accepted, long Duplicates, long Rejected, IReadOnlyDictionary<string, long> RejectedByReason, DateTimeOffset? LastRecordAt);
