using System.Globalization;
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
    private int _stateFromDay = int.MinValue;

    /// <inheritdoc />
    public async ValueTask<bool> TryMarkAppliedAsync(EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        var key = keys.Applied(EventDay.Of(eventTime));
        var batch = _db.CreateBatch();
        var added = batch.SetAddAsync(key, (long)eventKey.Hash64());
        _ = batch.KeyExpireAsync(key, dedupeWindow + TimeSpan.FromDays(1), CommandFlags.FireAndForget);
        batch.Execute();
        return await added;
    }

    /// <inheritdoc />
    public async ValueTask<CardHistory> GetCardAsync(string cardToken, CancellationToken cancellationToken = default)
    {
        var batch = _db.CreateBatch();
        var visits = batch.SortedSetRangeByScoreAsync(keys.CardVisits(cardToken), StateFromTicks());
        var card = batch.HashGetAsync(keys.Card(cardToken), ["bank", "mark"]);
        batch.Execute();
        var fields = await card;
        var bank = (string?)fields[0] ?? "";
        var mark = fields[1].IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)fields[1]!, StoreJsonContext.Default.CompromiseMark);
        return new CardHistory([.. (await visits).Select(v => ParseVisit(cardToken, bank, v!))], mark);
    }

    /// <inheritdoc />
    public async ValueTask AddVisitAsync(CardVisit visit, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(visit.Time);
        var batch = _db.CreateBatch();
        var cardVisits = keys.CardVisits(visit.CardToken);
        var terminalDay = keys.TerminalDay(visit.TerminalId, day);
        Task[] writes =
        [
            batch.SortedSetAddAsync(cardVisits, VisitMember(visit), visit.Time.UtcTicks),
            batch.SortedSetRemoveRangeByScoreAsync(cardVisits, double.NegativeInfinity, StateFromTicks(), Exclude.Stop),
            batch.KeyExpireAsync(cardVisits, retention),
            batch.HashSetAsync(keys.Card(visit.CardToken), "bank", visit.BankId),
            batch.KeyExpireAsync(keys.Card(visit.CardToken), retention),
            batch.HashSetAsync(keys.Terminal(visit.TerminalId), TerminalFields(visit)),
            batch.KeyExpireAsync(keys.Terminal(visit.TerminalId), retention),
            batch.SetAddAsync(terminalDay, $"{visit.BankId}{Separator}{visit.CardToken}"),
            batch.KeyExpireAsync(terminalDay, retention),
            // GT keeps the latest day: a late visit cannot move a card back in time (Redis 6.2+).
            batch.SortedSetAddAsync(keys.ActiveCards, visit.CardToken, day, SortedSetWhen.GreaterThan),
            batch.KeyExpireAsync(keys.ActiveCards, retention),
            batch.SortedSetAddAsync(keys.ActiveTerminals, visit.TerminalId, day, SortedSetWhen.GreaterThan),
            batch.KeyExpireAsync(keys.ActiveTerminals, retention),
        ];
        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <inheritdoc />
    public async ValueTask<CompromiseMark> MarkCompromisedAsync(CompromiseMark mark, CancellationToken cancellationToken = default)
    {
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
        var batch = _db.CreateBatch();
        var moves = new List<Task>();
        if (previous is not null)
            moves.AddRange(MoveWeight(batch, previous, -1));
        moves.AddRange(MoveWeight(batch, mark, +1));
        batch.Execute();
        await Task.WhenAll(moves);
        return mark;
    }

    /// <inheritdoc />
    public async ValueTask UpsertCompromisedVisitorAsync(string terminalId, CompromisedVisitor visitor, CancellationToken cancellationToken = default)
    {
        var key = keys.TerminalCompromised(terminalId);
        var batch = _db.CreateBatch();
        var set = batch.HashSetAsync(key, visitor.CardToken, JsonSerializer.Serialize(visitor, StoreJsonContext.Default.CompromisedVisitor));
        var expire = batch.KeyExpireAsync(key, retention);
        batch.Execute();
        await Task.WhenAll(set, expire);
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
        return BaseRate.FromMicro(await active, Sum(await weights), Sum(await strong), await terminals);
    }

    /// <inheritdoc />
    public async ValueTask<AtmAlert?> GetAlertAsync(string terminalId, CancellationToken cancellationToken = default)
    {
        var json = await _db.HashGetAsync(keys.Alerts, terminalId);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)json!, ContractsJsonContext.Default.AtmAlert);
    }

    /// <inheritdoc />
    public async ValueTask SaveAlertAsync(AtmAlert alert, CancellationToken cancellationToken = default)
    {
        // An alert not updated for the look-back is over; the hash lives as long as alerts keep changing.
        var batch = _db.CreateBatch();
        var set = batch.HashSetAsync(keys.Alerts, alert.TerminalId, JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert));
        var expire = batch.KeyExpireAsync(keys.Alerts, retention);
        batch.Execute();
        await Task.WhenAll(set, expire);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlySet<string>> GetCardsSentAsync(string alertId, string bankId, CancellationToken cancellationToken = default) =>
        (await _db.SetMembersAsync(keys.CardsSent(alertId, bankId))).Select(m => (string)m!).ToHashSet(StringComparer.Ordinal);

    /// <inheritdoc />
    public async ValueTask AddCardsSentAsync(string alertId, string bankId, IEnumerable<string> cardTokens, CancellationToken cancellationToken = default)
    {
        var key = keys.CardsSent(alertId, bankId);
        var batch = _db.CreateBatch();
        var add = batch.SetAddAsync(key, [.. cardTokens.Select(t => (RedisValue)t)]);
        var expire = batch.KeyExpireAsync(key, retention);
        batch.Execute();
        await Task.WhenAll(add, expire);
    }

    /// <inheritdoc />
    public async ValueTask ExpireAsync(int stateBeforeDay, int appliedKeysBeforeDay, CancellationToken cancellationToken = default)
    {
        _stateFromDay = Math.Max(_stateFromDay, stateBeforeDay);
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

    private IEnumerable<Task> MoveWeight(IBatch batch, CompromiseMark mark, int sign)
    {
        var day = EventDay.Of(mark.FirstFraudAt);
        yield return batch.HashIncrementAsync(keys.CompromisedWeight, day, sign * BaseRate.ToMicro(mark.Weight));
        yield return batch.KeyExpireAsync(keys.CompromisedWeight, retention);
        if (mark.Strong)
        {
            yield return batch.HashIncrementAsync(keys.StrongWeight, day, sign * BaseRate.ToMicro(mark.Weight));
            yield return batch.KeyExpireAsync(keys.StrongWeight, retention);
        }
    }

    private static long Sum(RedisValue[] values) => values.Where(v => v.HasValue).Sum(v => (long)v);

    private static string VisitMember(CardVisit visit) => string.Join(Separator,
        visit.Time.UtcTicks.ToString(CultureInfo.InvariantCulture), visit.TerminalId, WireNames.NameOf(visit.TerminalType),
        Number(visit.Lat), Number(visit.Lon), visit.Country);

    private static CardVisit ParseVisit(string token, string bank, string member)
    {
        var parts = member.Split(Separator);
        return new CardVisit(token, bank, parts[1], WireNames.Of<TerminalType>()[parts[2]],
            new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), Coordinate(parts[3]), Coordinate(parts[4]), parts[5]);
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
