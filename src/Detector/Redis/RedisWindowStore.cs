using System.Globalization;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// The window store in Redis, shared by every detector replica. Every write is idempotent (set members, hash fields,
/// a compare-and-set script for marks), and every key expires: state with the retention, applied-event keys with the
/// dedupe window, both counted from the last write in wall-clock time (event time may be years old in a replay).
/// Expiry in event time is applied on read: the store remembers the day before which state no longer counts.
/// </summary>
/// <summary>
/// The window store in Redis, shared by every detector replica. Every write is idempotent (set members, hash fields,
/// a compare-and-set script for marks), and every key expires: state with the retention, applied-event keys with the
/// dedupe window, both counted from the last write in wall-clock time (event time may be years old in a replay).
/// Expiry in event time is applied on read: the store remembers the day before which state no longer counts.
/// <para>
/// Writes are pipelined: each is sent at once and not awaited, so a batch of events costs one round trip (the read
/// ahead of which events were applied) plus the commit. Reads that the engine needs mid-batch travel on the same
/// connection behind the writes sent before them, so they see them. The commit first waits for every state write,
/// then writes the batch's applied-event keys: an event counts as applied only once all its state is in Redis.
/// </para>
/// </summary>
public sealed class RedisWindowStore(IConnectionMultiplexer redis, RedisKeys keys, TimeSpan retention, TimeSpan dedupeWindow) : IWindowStore
{
    // Members of visits and day sets join fields with the unit separator: ids are refused if they hold control characters.
    private const char Separator = '\u001f';

    // Keeps the heavier mark (at equal weight the earlier first fraud); returns {1, old mark} when it replaced one.
    private static readonly LuaScript KeepStrongerMark = LuaScript.Prepare("""
        local weight = tonumber(redis.call('HGET', @card, 'mark_weight'))
        local first = tonumber(redis.call('HGET', @card, 'mark_first'))
        local new_weight = tonumber(@weight)
        local new_first = tonumber(@first)
        if weight and (new_weight < weight or (new_weight == weight and new_first >= first)) then
          return {0, redis.call('HGET', @card, 'mark')}
        end
        local old = redis.call('HGET', @card, 'mark') or ''
        redis.call('HSET', @card, 'bank', @bank, 'mark', @mark, 'mark_weight', @weight, 'mark_first', @first)
        redis.call('PEXPIRE', @card, @ttl)
        return {1, old}
        """);

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly List<Task> _writes = [];
    // The batch's applied-event keys, written at the commit; and what the read-ahead learnt about the batch's events.
    private readonly Dictionary<int, HashSet<ulong>> _appliedInBatch = [];
    private readonly Dictionary<int, HashSet<ulong>> _appliedBefore = [];
    private readonly Dictionary<int, HashSet<ulong>> _checkedBefore = [];
    // Last active day of the batch's cards and terminals, sent as one ZADD GT each.
    private readonly Dictionary<string, int> _activeCards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _activeTerminals = new(StringComparer.Ordinal);
    // Keys given their TTL by this process: a day set's lifetime is fixed by its day; a terminal's info is refreshed daily.
    private readonly Dictionary<int, HashSet<string>> _dayKeysWithTtl = [];
    private readonly Dictionary<string, int> _terminalInfoDay = new(StringComparer.Ordinal);
    private int _stateFromDay = int.MinValue;

    /// <summary>Round trips awaited so far (reads and commits), for the metrics.</summary>
    public long RoundTrips { get; private set; }

    /// <summary>Told how long each batch's read-ahead ("read_ahead") and commit ("commit") took, for the metrics.</summary>
    public Action<string, TimeSpan>? Timed { get; init; }

    /// <inheritdoc />
    public async ValueTask BeginBatchAsync(IReadOnlyList<(EventKey Key, DateTimeOffset Time)> events, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        _appliedBefore.Clear();
        _checkedBefore.Clear();
        var byDay = events.GroupBy(e => EventDay.Of(e.Time), e => e.Key.Hash64()).Select(g => (Day: g.Key, Hashes: g.Distinct().ToArray())).ToList();
        var lookups = byDay.Select(d => _db.SetContainsAsync(keys.Applied(d.Day), [.. d.Hashes.Select(h => (RedisValue)(long)h)])).ToList();
        await Task.WhenAll(lookups);
        RoundTrips++;
        for (var i = 0; i < byDay.Count; i++)
        {
            var (day, hashes) = byDay[i];
            var found = lookups[i].Result;
            _checkedBefore[day] = [.. hashes];
            _appliedBefore[day] = [.. hashes.Where((_, j) => found[j])];
        }
        Timed?.Invoke("read_ahead", Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public async ValueTask CommitBatchAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        SendActiveDays();
        await Task.WhenAll(_writes);
        _writes.Clear();
        // Only now, with every state write acknowledged, do the batch's events count as applied.
        foreach (var (day, hashes) in _appliedInBatch)
        {
            var key = keys.Applied(day);
            _writes.Add(_db.SetAddAsync(key, [.. hashes.Select(h => (RedisValue)(long)h)]));
            _writes.Add(_db.KeyExpireAsync(key, dedupeWindow + TimeSpan.FromDays(1)));
        }
        await Task.WhenAll(_writes);
        RoundTrips += 2;
        _writes.Clear();
        _appliedInBatch.Clear();
        _appliedBefore.Clear();
        _checkedBefore.Clear();
        Timed?.Invoke("commit", Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public async ValueTask<bool> IsAppliedAsync(EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(eventTime);
        var hash = eventKey.Hash64();
        if (_appliedInBatch.TryGetValue(day, out var inBatch) && inBatch.Contains(hash))
            return true;
        if (_checkedBefore.TryGetValue(day, out var checkedKeys) && checkedKeys.Contains(hash))
            return _appliedBefore[day].Contains(hash);
        RoundTrips++;
        return await _db.SetContainsAsync(keys.Applied(day), (long)hash);
    }

    /// <inheritdoc />
    public ValueTask MarkAppliedAsync(EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        ref var hashes = ref CollectionsMarshal.GetValueRefOrAddDefault(_appliedInBatch, EventDay.Of(eventTime), out _);
        hashes ??= [];
        hashes.Add(eventKey.Hash64());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<CardHistory> GetCardAsync(string cardToken, CancellationToken cancellationToken = default)
    {
        var visits = _db.SortedSetRangeByScoreAsync(keys.CardVisits(cardToken), StateFromTicks());
        var mark = _db.HashGetAsync(keys.Card(cardToken), "mark");
        RoundTrips++;
        var markJson = await mark;
        return new CardHistory(
            [.. (await visits).Select(v => ParseVisit(cardToken, v!))],
            markJson.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)markJson!, StoreJsonContext.Default.CompromiseMark));
    }

    /// <inheritdoc />
    public ValueTask AddVisitAsync(CardVisit visit, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(visit.Time);
        var cardVisits = keys.CardVisits(visit.CardToken);
        _writes.Add(_db.SortedSetAddAsync(cardVisits, VisitMember(visit), visit.Time.UtcTicks));
        _writes.Add(_db.KeyExpireAsync(cardVisits, retention));
        // Visits older than the retention are filtered on read; trimming them on one visit in sixteen bounds the set.
        if (visit.Time.UtcTicks / TimeSpan.TicksPerSecond % 16 == 0)
            _writes.Add(_db.SortedSetRemoveRangeByScoreAsync(cardVisits, double.NegativeInfinity, StateFromTicks(), Exclude.Stop));
        var terminalDay = keys.TerminalDay(visit.TerminalId, day);
        _writes.Add(_db.SetAddAsync(terminalDay, $"{visit.BankId}{Separator}{visit.CardToken}"));
        ref var withTtl = ref CollectionsMarshal.GetValueRefOrAddDefault(_dayKeysWithTtl, day, out _);
        withTtl ??= new HashSet<string>(StringComparer.Ordinal);
        if (withTtl.Add(visit.TerminalId))
            _writes.Add(_db.KeyExpireAsync(terminalDay, retention));
        ref var infoDay = ref CollectionsMarshal.GetValueRefOrAddDefault(_terminalInfoDay, visit.TerminalId, out var known);
        if (!known || day > infoDay)
        {
            infoDay = day;
            _writes.Add(_db.HashSetAsync(keys.Terminal(visit.TerminalId), TerminalFields(visit)));
            _writes.Add(_db.KeyExpireAsync(keys.Terminal(visit.TerminalId), retention));
        }
        Latest(_activeCards, visit.CardToken, day);
        Latest(_activeTerminals, visit.TerminalId, day);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<CompromiseMark> MarkCompromisedAsync(CompromiseMark mark, CancellationToken cancellationToken = default)
    {
        RoundTrips++;
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(KeepStrongerMark, new
        {
            card = keys.Card(mark.CardToken),
            bank = mark.BankId,
            mark = JsonSerializer.Serialize(mark, StoreJsonContext.Default.CompromiseMark),
            weight = mark.Weight.ToString("R", CultureInfo.InvariantCulture),
            // Milliseconds, not ticks: Lua numbers are doubles, exact only to 2^53.
            first = mark.FirstFraudAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ttl = (long)retention.TotalMilliseconds,
        }))!;
        var other = (string?)result[1];
        var previous = string.IsNullOrEmpty(other) ? null : JsonSerializer.Deserialize(other, StoreJsonContext.Default.CompromiseMark);
        if ((int)result[0] == 0)
            return previous!;
        // The base-rate counters live in their own slot, so they are moved by a second command (see docs/detector.md).
        if (previous is not null)
            MoveWeight(previous, -1);
        MoveWeight(mark, +1);
        return mark;
    }

    /// <inheritdoc />
    public ValueTask UpsertCompromisedVisitorAsync(string terminalId, CompromisedVisitor visitor, CancellationToken cancellationToken = default)
    {
        var key = keys.TerminalCompromised(terminalId);
        _writes.Add(_db.HashSetAsync(key, visitor.CardToken, JsonSerializer.Serialize(visitor, StoreJsonContext.Default.CompromisedVisitor)));
        _writes.Add(_db.KeyExpireAsync(key, retention));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<TerminalHistory?> GetTerminalAsync(string terminalId, int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        fromDay = Math.Max(fromDay, _stateFromDay);
        var batch = _db.CreateBatch();
        var info = batch.HashGetAllAsync(keys.Terminal(terminalId));
        var days = Enumerable.Range(fromDay, Math.Max(0, toDay - fromDay + 1))
            .Select(day => (Day: day, Cards: batch.SetMembersAsync(keys.TerminalDay(terminalId, day))))
            .ToList();
        var compromised = batch.HashValuesAsync(keys.TerminalCompromised(terminalId));
        batch.Execute();
        RoundTrips++;
        var fields = (await info).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        if (fields.Count == 0)
            return null;
        var cardsByDay = new Dictionary<int, IReadOnlyCollection<CardRef>>();
        foreach (var (day, cards) in days)
        {
            var members = await cards;
            if (members.Length > 0)
                cardsByDay[day] = [.. members.Select(m => ParseCardRef(m!))];
        }
        var (from, to) = (EventDay.Start(fromDay), EventDay.Start(toDay + 1));
        var visitors = (await compromised)
            .Select(v => JsonSerializer.Deserialize((string)v!, StoreJsonContext.Default.CompromisedVisitor)!)
            .Where(v => v.Visits.Any(t => t >= from && t < to))
            .Select(v => v.Visits.All(t => t >= from && t < to) ? v : v with { Visits = [.. v.Visits.Where(t => t >= from && t < to)] })
            .ToList();
        return new TerminalHistory(terminalId, WireNames.Of<TerminalType>()[fields["type"]], Coordinate(fields, "lat"), Coordinate(fields, "lon"), cardsByDay, visitors);
    }

    /// <inheritdoc />
    public async ValueTask<BaseRate> GetBaseRateAsync(int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        fromDay = Math.Max(fromDay, _stateFromDay);
        SendActiveDays();
        var dayRange = Enumerable.Range(fromDay, Math.Max(0, toDay - fromDay + 1)).ToArray();
        if (dayRange.Length == 0)
            return new BaseRate(0, 0, 0, 0);
        var fields = dayRange.Select(d => (RedisValue)d).ToArray();
        var batch = _db.CreateBatch();
        var active = batch.SortedSetLengthAsync(keys.ActiveCards, fromDay, toDay);
        var terminals = batch.SortedSetLengthAsync(keys.ActiveTerminals, fromDay, toDay);
        var weights = batch.HashGetAsync(keys.CompromisedWeight, fields);
        var strong = batch.HashGetAsync(keys.StrongWeight, fields);
        batch.Execute();
        RoundTrips++;
        return BaseRate.FromMicro(await active, Sum(await weights), Sum(await strong), await terminals);
    }

    /// <inheritdoc />
    public async ValueTask<AtmAlert?> GetAlertAsync(string terminalId, CancellationToken cancellationToken = default)
    {
        RoundTrips++;
        var json = await _db.HashGetAsync(keys.Alerts, terminalId);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)json!, ContractsJsonContext.Default.AtmAlert);
    }

    /// <inheritdoc />
    public ValueTask SaveAlertAsync(AtmAlert alert, CancellationToken cancellationToken = default)
    {
        // An alert not updated for the look-back is over; the hash lives as long as alerts keep changing.
        _writes.Add(_db.HashSetAsync(keys.Alerts, alert.TerminalId, JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert)));
        _writes.Add(_db.KeyExpireAsync(keys.Alerts, retention));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlySet<string>> GetCardsSentAsync(string alertId, string bankId, CancellationToken cancellationToken = default)
    {
        RoundTrips++;
        return (await _db.SetMembersAsync(keys.CardsSent(alertId, bankId))).Select(m => (string)m!).ToHashSet(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public ValueTask AddCardsSentAsync(string alertId, string bankId, IEnumerable<string> cardTokens, CancellationToken cancellationToken = default)
    {
        var key = keys.CardsSent(alertId, bankId);
        _writes.Add(_db.SetAddAsync(key, [.. cardTokens.Select(t => (RedisValue)t)]));
        _writes.Add(_db.KeyExpireAsync(key, retention));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RescanEntry>> GetRescansAsync(CancellationToken cancellationToken = default)
    {
        RoundTrips++;
        return [.. (await _db.HashGetAllAsync(keys.Rescans)).Select(e => ParseRescan(e.Name!, e.Value!))];
    }

    /// <inheritdoc />
    public ValueTask SaveRescanAsync(RescanEntry entry, CancellationToken cancellationToken = default)
    {
        var value = string.Create(CultureInfo.InvariantCulture, $"{entry.LastScan.UtcTicks}{Separator}{entry.Due?.UtcTicks}");
        _writes.Add(_db.HashSetAsync(keys.Rescans, entry.TerminalId, value));
        _writes.Add(_db.KeyExpireAsync(keys.Rescans, retention));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveRescansAsync(IReadOnlyCollection<string> terminalIds, CancellationToken cancellationToken = default)
    {
        _writes.Add(_db.HashDeleteAsync(keys.Rescans, [.. terminalIds.Select(t => (RedisValue)t)]));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask ExpireAsync(int stateBeforeDay, int appliedKeysBeforeDay, CancellationToken cancellationToken = default)
    {
        _stateFromDay = Math.Max(_stateFromDay, stateBeforeDay);
        foreach (var stale in _dayKeysWithTtl.Keys.Where(d => d < stateBeforeDay).ToList())
            _dayKeysWithTtl.Remove(stale);
        SendActiveDays();
        RoundTrips += 2;
        // Applied keys are looked up by day, so their days are known: drop the week that just left the window.
        // Everything else is filtered on read by _stateFromDay and removed by its TTL.
        var batch = _db.CreateBatch();
        // One key per command: each day's keys have their own slot in a cluster.
        var deletes = Enumerable.Range(appliedKeysBeforeDay - 8, 8).Select(day => (Task)batch.KeyDeleteAsync(keys.Applied(day))).ToList();
        deletes.Add(batch.SortedSetRemoveRangeByScoreAsync(keys.ActiveCards, double.NegativeInfinity, stateBeforeDay, Exclude.Stop));
        deletes.Add(batch.SortedSetRemoveRangeByScoreAsync(keys.ActiveTerminals, double.NegativeInfinity, stateBeforeDay, Exclude.Stop));
        var weights = batch.HashKeysAsync(keys.CompromisedWeight);
        var strong = batch.HashKeysAsync(keys.StrongWeight);
        batch.Execute();
        await Task.WhenAll(deletes);
        await _db.HashDeleteAsync(keys.CompromisedWeight, [.. (await weights).Where(d => (int)d < stateBeforeDay)]);
        await _db.HashDeleteAsync(keys.StrongWeight, [.. (await strong).Where(d => (int)d < stateBeforeDay)]);
    }

    private double StateFromTicks() => _stateFromDay == int.MinValue ? double.NegativeInfinity : EventDay.Start(_stateFromDay).UtcTicks;

    private void MoveWeight(CompromiseMark mark, int sign)
    {
        var day = EventDay.Of(mark.FirstFraudAt);
        _writes.Add(_db.HashIncrementAsync(keys.CompromisedWeight, day, sign * BaseRate.ToMicro(mark.Weight)));
        _writes.Add(_db.KeyExpireAsync(keys.CompromisedWeight, retention));
        if (mark.Strong)
        {
            _writes.Add(_db.HashIncrementAsync(keys.StrongWeight, day, sign * BaseRate.ToMicro(mark.Weight)));
            _writes.Add(_db.KeyExpireAsync(keys.StrongWeight, retention));
        }
    }

    private static void Latest(Dictionary<string, int> lastDay, string id, int day)
    {
        ref var latest = ref CollectionsMarshal.GetValueRefOrAddDefault(lastDay, id, out var exists);
        if (!exists || day > latest)
            latest = day;
    }

    /// <summary>Sends the batch's active cards and terminals, each set with one ZADD GT (a late visit cannot move one back in time).</summary>
    private void SendActiveDays()
    {
        foreach (var (key, lastDay) in new[] { (keys.ActiveCards, _activeCards), (keys.ActiveTerminals, _activeTerminals) })
        {
            if (lastDay.Count == 0)
                continue;
            _writes.Add(_db.SortedSetAddAsync(key, [.. lastDay.Select(e => new SortedSetEntry(e.Key, e.Value))], SortedSetWhen.GreaterThan));
            _writes.Add(_db.KeyExpireAsync(key, retention));
            lastDay.Clear();
        }
    }

    private static long Sum(RedisValue[] values) => values.Where(v => v.HasValue).Sum(v => (long)v);

    private static string VisitMember(CardVisit visit) => string.Join(Separator,
        visit.Time.UtcTicks.ToString(CultureInfo.InvariantCulture), visit.TerminalId, WireNames.NameOf(visit.TerminalType),
        Number(visit.Lat), Number(visit.Lon), visit.Country, visit.BankId);

    private static CardVisit ParseVisit(string token, string member)
    {
        var parts = member.Split(Separator);
        return new CardVisit(token, parts[6], parts[1], WireNames.Of<TerminalType>()[parts[2]],
            new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), Coordinate(parts[3]), Coordinate(parts[4]), parts[5]);
    }

    private static RescanEntry ParseRescan(string terminalId, string value)
    {
        var at = value.IndexOf(Separator, StringComparison.Ordinal);
        var due = value[(at + 1)..];
        return new RescanEntry(terminalId, new DateTimeOffset(long.Parse(value[..at], CultureInfo.InvariantCulture), TimeSpan.Zero),
            due.Length == 0 ? null : new DateTimeOffset(long.Parse(due, CultureInfo.InvariantCulture), TimeSpan.Zero));
    }

    private static HashEntry[] TerminalFields(CardVisit visit) =>
    [
        new("type", WireNames.NameOf(visit.TerminalType)), new("lat", Number(visit.Lat)), new("lon", Number(visit.Lon)), new("country", visit.Country),
    ];

    private static CardRef ParseCardRef(string member)
    {
        var at = member.IndexOf(Separator, StringComparison.Ordinal);
        return new CardRef(member[(at + 1)..], member[..at]);
    }

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static double? Coordinate(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);

    private static double? Coordinate(Dictionary<string, string> fields, string name) => fields.TryGetValue(name, out var text) ? Coordinate(text) : null;
}
