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
/// The window store in Redis, shared by every detector replica. A batch of events is one unit: its writes are held in
/// this process (<see cref="PendingBatch"/>), reads answer from Redis with them laid over, and the commit sends them all,
/// with the batch's applied-event keys, in one MULTI/EXEC. A crash before the commit leaves Redis exactly as the last
/// batch left it, so reading the batch again repeats it exactly; a crash cannot leave half a batch behind.
/// Every key expires: state with the retention, applied-event keys with the dedupe window, counted from the last write
/// in wall-clock time (event time may be years old in a replay); expiry in event time is applied on read. Keys written
/// by nearly every batch get a week more and have it set once a week (<see cref="TtlRefresh"/>), not at every write.
/// It keeps the fraud features' windows too (RedisWindowStore.Features.cs), committed with the same batch.
/// </summary>
public sealed partial class RedisWindowStore(IConnectionMultiplexer redis, RedisKeys keys, TimeSpan retention, TimeSpan dedupeWindow) : IWindowStore
{
    // Stored fields join ids and numbers with the unit separator: ids are refused if they hold control characters.
    private const char Separator = MemberScores.Separator;

    // Keeps the heavier mark (at equal weight the earlier first fraud) and moves the base-rate weights with it.
    // KEYS: card hash, weight hash, strong-weight hash. ARGV: bank, weight, first fraud (ms), mark JSON, day, weight in
    // millionths, strong (1/0), TTL (ms). The weights live in the {rate} slot: one Redis, not a cluster (docs/detector.md).
    private const string KeepStrongerMark = """
        local weight = tonumber(redis.call('HGET', KEYS[1], 'mark_weight'))
        local first = tonumber(redis.call('HGET', KEYS[1], 'mark_first'))
        local new_weight = tonumber(ARGV[2])
        local new_first = tonumber(ARGV[3])
        if weight and (new_weight < weight or (new_weight == weight and new_first >= first)) then
          return 0
        end
        if weight then
          local old_day = redis.call('HGET', KEYS[1], 'mark_day')
          local old_micro = tonumber(redis.call('HGET', KEYS[1], 'mark_micro'))
          redis.call('HINCRBY', KEYS[2], old_day, -old_micro)
          if redis.call('HGET', KEYS[1], 'mark_strong') == '1' then
            redis.call('HINCRBY', KEYS[3], old_day, -old_micro)
          end
        end
        redis.call('HSET', KEYS[1], 'bank', ARGV[1], 'mark', ARGV[4], 'mark_weight', ARGV[2], 'mark_first', ARGV[3],
          'mark_day', ARGV[5], 'mark_micro', ARGV[6], 'mark_strong', ARGV[7])
        redis.call('HINCRBY', KEYS[2], ARGV[5], ARGV[6])
        if ARGV[7] == '1' then
          redis.call('HINCRBY', KEYS[3], ARGV[5], ARGV[6])
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[8])
        redis.call('PEXPIRE', KEYS[2], ARGV[8])
        redis.call('PEXPIRE', KEYS[3], ARGV[8])
        return 1
        """;

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly PendingBatch _batch = new();
    // Terminal info refreshed once per terminal and day by this process (after a commit that carried it).
    private readonly Dictionary<string, int> _terminalInfoDay = new(StringComparer.Ordinal);
    private int _stateFromDay = int.MinValue;
    // Keys written by nearly every batch (card visits, terminal days, feature windows) get their TTL once a week.
    private readonly TtlRefresh _ttls = new(TimeProvider.System);

    /// <summary>
    /// Told how long each batch's read-ahead of applied keys ("read_ahead") and of the cards it will read
    /// ("cards_read_ahead") took, its commit ("commit"), and each read in the middle of a batch: a card's history
    /// ("card_read"), a terminal's days for a scan ("terminal_read"), the base rate ("base_rate_read").
    /// </summary>
    public Action<string, TimeSpan>? Timed { get; init; }

    /// <inheritdoc />
    public async ValueTask BeginBatchAsync(IReadOnlyList<(EventKey Key, DateTimeOffset Time)> events, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        _batch.Clear();
        foreach (var (key, time) in events)
        {
            ref var checkedKeys = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch.CheckedBefore, EventDay.Of(time), out _);
            (checkedKeys ??= _batch.NewKeySet()).Add(key.Hash64());
        }
        var byDay = _batch.CheckedBefore.ToList();
        // Redis answers in the order asked, which is the set's order: the set is not changed until the answers are read.
        var lookups = byDay.Select(d => InChunks(d.Value).Select(chunk => _db.SetContainsAsync(keys.Applied(d.Key), chunk)).ToList()).ToList();
        await Task.WhenAll(lookups.SelectMany(chunks => chunks));
        for (var i = 0; i < byDay.Count; i++)
        {
            var (found, appliedBefore, j) = (lookups[i].SelectMany(chunk => chunk.Result).ToArray(), _batch.NewKeySet(), 0);
            foreach (var hash in byDay[i].Value)
            {
                if (found[j++])
                    appliedBefore.Add(hash);
            }
            _batch.AppliedBefore[byDay[i].Key] = appliedBefore;
        }
        Timed?.Invoke("read_ahead", Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public async ValueTask CommitBatchAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var batch = _batch;
        var transaction = _db.CreateTransaction();
        _ttls.Abandoned(); // what an earlier attempt that failed would have set
        var writes = new List<Task>();
        var infoSent = new List<(string Terminal, int Day)>();
        // Visits and terminal days go to their buckets: one ZADD per bucket the batch touches, not one per card and terminal.
        var visitBuckets = new Dictionary<(int Week, int Bucket), List<SortedSetEntry>>();
        foreach (var (token, visits) in batch.Visits)
        {
            var (bucket, score) = (RedisKeys.BucketOf(token), MemberScores.OfId(token));
            foreach (var visit in visits)
                InBucket(visitBuckets, (RedisKeys.Week(EventDay.Of(visit.Time)), bucket)).Add(new SortedSetEntry(VisitMember.Of(visit), score));
        }
        var dayBuckets = new Dictionary<(int Day, int Bucket), List<SortedSetEntry>>();
        foreach (var (terminal, days) in batch.DayCards)
        {
            var (bucket, score) = (RedisKeys.BucketOf(terminal), MemberScores.OfId(terminal));
            foreach (var (day, cards) in days)
            {
                var members = InBucket(dayBuckets, (day, bucket));
                foreach (var card in cards)
                    members.Add(new SortedSetEntry(TerminalDayMember.Of(terminal, card), score));
            }
        }
        var buckets = visitBuckets.Select(b => (Key: keys.CardVisits(b.Key.Week, b.Key.Bucket), Members: b.Value))
            .Concat(dayBuckets.Select(b => (Key: keys.TerminalDay(b.Key.Day, b.Key.Bucket), Members: b.Value)));
        foreach (var (key, members) in buckets)
        {
            writes.Add(transaction.SortedSetAddAsync(key, [.. members]));
            if (_ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(retention)));
        }
        var terminalBuckets = new Dictionary<RedisKey, List<HashEntry>>();
        foreach (var (terminal, visit) in batch.Terminals)
        {
            var day = EventDay.Of(visit.Time);
            if (_terminalInfoDay.TryGetValue(terminal, out var sentOn) && sentOn >= day)
                continue;
            ref var fields = ref CollectionsMarshal.GetValueRefOrAddDefault(terminalBuckets, keys.Terminal(terminal), out _);
            (fields ??= []).Add(new HashEntry(terminal, TerminalInfo(visit)));
            infoSent.Add((terminal, day));
        }
        foreach (var (key, fields) in terminalBuckets)
        {
            writes.Add(transaction.HashSetAsync(key, [.. fields]));
            if (_ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(retention)));
        }
        foreach (var mark in batch.Marks.Values)
            writes.Add(transaction.ExecuteAsync("EVAL", MarkArguments(mark)));
        foreach (var (terminal, visitors) in batch.Visitors)
        {
            var key = keys.TerminalCompromised(terminal);
            writes.Add(transaction.HashSetAsync(key, [.. visitors.Select(v => new HashEntry(v.Key, JsonSerializer.Serialize(v.Value, StoreJsonContext.Default.CompromisedVisitor)))]));
            writes.Add(transaction.KeyExpireAsync(key, retention));
        }
        foreach (var alert in batch.Alerts.Values)
            writes.Add(transaction.HashSetAsync(keys.Alerts, alert.TerminalId, JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert)));
        if (batch.Alerts.Count > 0)
            writes.Add(transaction.KeyExpireAsync(keys.Alerts, retention));
        foreach (var ((alertId, bankId), tokens) in batch.CardsSent)
        {
            var key = keys.CardsSent(alertId, bankId);
            writes.Add(transaction.SetAddAsync(key, [.. tokens.Select(t => (RedisValue)t)]));
            writes.Add(transaction.KeyExpireAsync(key, retention));
        }
        foreach (var (terminal, entry) in batch.Rescans)
        {
            writes.Add(entry is null
                ? transaction.HashDeleteAsync(keys.Rescans, terminal)
                : transaction.HashSetAsync(keys.Rescans, terminal, string.Create(CultureInfo.InvariantCulture, $"{entry.LastScan.UtcTicks}{Separator}{entry.Due?.UtcTicks}")));
        }
        if (batch.Rescans.Count > 0)
            writes.Add(transaction.KeyExpireAsync(keys.Rescans, retention));
        foreach (var (key, lastDay) in new[] { (keys.ActiveCards, batch.ActiveCards), (keys.ActiveTerminals, batch.ActiveTerminals) })
        {
            if (lastDay.Count == 0)
                continue;
            // GT keeps the latest day: a late visit cannot move a card back in time (Redis 6.2+).
            writes.Add(transaction.SortedSetAddAsync(key, [.. lastDay.Select(e => new SortedSetEntry(e.Key, MemberScores.OfDay(e.Key, e.Value)))], SortedSetWhen.GreaterThan));
            writes.Add(transaction.KeyExpireAsync(key, retention));
        }
        if (batch.Features is { } features)
            WriteFeatures(transaction, features, batch.StaleFeatureFields, writes);
        foreach (var (day, hashes) in batch.Applied)
        {
            var key = keys.Applied(day);
            writes.AddRange(InChunks(hashes).Select(chunk => transaction.SetAddAsync(key, chunk)));
            writes.Add(transaction.KeyExpireAsync(key, dedupeWindow + TimeSpan.FromDays(1)));
        }
        if (writes.Count > 0)
        {
            if (!await transaction.ExecuteAsync())
                throw new RedisException("the batch's transaction was not executed");
            await Task.WhenAll(writes);
            HeldTerminalsCommitted();
        }
        foreach (var (terminal, day) in infoSent)
            _terminalInfoDay[terminal] = day;
        _ttls.Committed();
        _batch.Clear();
        Timed?.Invoke("commit", Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Event-key hashes as command arguments, 2,000 at a time: a RedisValue is 32 bytes, and an array of all of a large
    /// batch's keys would be a large object (see <see cref="PendingBatch"/>).
    /// </summary>
    private static IEnumerable<RedisValue[]> InChunks(IEnumerable<ulong> hashes) =>
        hashes.Chunk(2_000).Select(chunk => Array.ConvertAll(chunk, hash => (RedisValue)(long)hash));

    /// <inheritdoc />
    public async ValueTask<bool> IsAppliedAsync(EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(eventTime);
        var hash = eventKey.Hash64();
        if (_batch.Applied.TryGetValue(day, out var inBatch) && inBatch.Contains(hash))
            return true;
        if (_batch.CheckedBefore.TryGetValue(day, out var checkedKeys) && checkedKeys.Contains(hash))
            return _batch.AppliedBefore[day].Contains(hash);
        return await _db.SetContainsAsync(keys.Applied(day), (long)hash);
    }

    /// <inheritdoc />
    public ValueTask MarkAppliedAsync(EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        ref var hashes = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch.Applied, EventDay.Of(eventTime), out _);
        (hashes ??= _batch.NewKeySet()).Add(eventKey.Hash64());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask ReadAheadCardsAsync(IReadOnlyCollection<string> cardTokens, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await ReadCardsAsync(cardTokens);
        Timed?.Invoke("cards_read_ahead", Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public async ValueTask<CardHistory> GetCardAsync(string cardToken, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        if (!_batch.Reads.Cards.ContainsKey(cardToken))
            await ReadCardsAsync([cardToken]);
        var stored = _batch.Reads.Cards[cardToken];
        var all = new List<CardVisit>();
        if (_batch.Reads.CardDays[cardToken] is { } storedDay)
        {
            // The same bound as when the card's weeks are read: the retention back from its last active day, this batch's or Redis's.
            var lastDay = _batch.ActiveCards.TryGetValue(cardToken, out var pendingDay) ? Math.Max(storedDay, pendingDay) : storedDay;
            var firstWeek = RedisKeys.Week(Math.Max(_stateFromDay, lastDay - RetentionDays));
            var stateFrom = StateFromTicks();
            all.AddRange(stored.Visits.Where(v => RedisKeys.Week(EventDay.Of(v.Time)) >= firstWeek && v.Time.UtcTicks >= stateFrom));
        }
        if (_batch.Visits.TryGetValue(cardToken, out var added))
            all.AddRange(added);
        Timed?.Invoke("card_read", Stopwatch.GetElapsedTime(started));
        var mark = _batch.Marks.TryGetValue(cardToken, out var pending) ? pending : stored.Mark;
        return new CardHistory([.. all.OrderBy(v => v.Time)], mark); // stable: visits at one instant keep their order
    }

    /// <inheritdoc />
    public ValueTask AddVisitAsync(CardVisit visit, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(visit.Time);
        ref var visits = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch.Visits, visit.CardToken, out _);
        (visits ??= new List<CardVisit>(1)).Add(visit); // most cards visit once in a batch
        ref var days = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch.DayCards, visit.TerminalId, out _);
        days ??= [];
        ref var cards = ref CollectionsMarshal.GetValueRefOrAddDefault(days, day, out _);
        (cards ??= []).Add(new CardRef(visit.CardToken, visit.BankId));
        _batch.Terminals[visit.TerminalId] = visit;
        Latest(_batch.ActiveCards, visit.CardToken, day);
        Latest(_batch.ActiveTerminals, visit.TerminalId, day);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<CompromiseMark> MarkCompromisedAsync(CompromiseMark mark, CancellationToken cancellationToken = default)
    {
        if (!_batch.Marks.ContainsKey(mark.CardToken) && !_batch.Reads.Cards.ContainsKey(mark.CardToken))
            await ReadCardsAsync([mark.CardToken]);
        var current = _batch.Marks.TryGetValue(mark.CardToken, out var pending) ? pending : _batch.Reads.Cards[mark.CardToken].Mark;
        var stronger = MarkOrder.Stronger(current, mark);
        if (ReferenceEquals(stronger, current))
            return current!;
        if (current is not null)
            _batch.MoveWeight(current, -1);
        _batch.MoveWeight(stronger, +1);
        _batch.Marks[mark.CardToken] = stronger;
        return stronger;
    }

    /// <inheritdoc />
    public ValueTask UpsertCompromisedVisitorAsync(string terminalId, CompromisedVisitor visitor, CancellationToken cancellationToken = default)
    {
        ref var visitors = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch.Visitors, terminalId, out _);
        (visitors ??= new Dictionary<string, CompromisedVisitor>(StringComparer.Ordinal))[visitor.CardToken] = visitor;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<TerminalHistory?> GetTerminalAsync(string terminalId, int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        fromDay = Math.Max(fromDay, _stateFromDay);
        var batch = _db.CreateBatch();
        var info = batch.HashGetAsync(keys.Terminal(terminalId), terminalId);
        var score = MemberScores.OfId(terminalId);
        var days = Enumerable.Range(fromDay, Math.Max(0, toDay - fromDay + 1))
            .Select(day => (Day: day, Cards: batch.SortedSetRangeByScoreAsync(keys.TerminalDay(terminalId, day), score, score)))
            .ToList();
        var compromised = batch.HashGetAllAsync(keys.TerminalCompromised(terminalId));
        batch.Execute();
        var stored = (string?)await info;
        var hasPendingInfo = _batch.Terminals.TryGetValue(terminalId, out var pendingInfo);
        if (stored is null && !hasPendingInfo)
            return null;
        _batch.DayCards.TryGetValue(terminalId, out var pendingDays);
        var cardsByDay = new Dictionary<int, IReadOnlyCollection<CardRef>>();
        foreach (var (day, cards) in days)
        {
            var members = (await cards).Where(m => MemberScores.IsOf(terminalId, m)).Select(m => TerminalDayMember.Parse(m!));
            if (pendingDays is not null && pendingDays.TryGetValue(day, out var added))
                members = members.Union(added);
            var list = members.ToList();
            if (list.Count > 0)
                cardsByDay[day] = list;
        }
        var visitors = (await compromised).ToDictionary(e => (string)e.Name!, e => JsonSerializer.Deserialize((string)e.Value!, StoreJsonContext.Default.CompromisedVisitor)!, StringComparer.Ordinal);
        if (_batch.Visitors.TryGetValue(terminalId, out var pendingVisitors))
            foreach (var (token, visitor) in pendingVisitors)
                visitors[token] = visitor;
        var (from, to) = (EventDay.Start(fromDay), EventDay.Start(toDay + 1));
        Timed?.Invoke("terminal_read", Stopwatch.GetElapsedTime(started));
        var inRange = visitors.Values
            .Where(v => v.Visits.Any(t => t >= from && t < to))
            .Select(v => v.Visits.All(t => t >= from && t < to) ? v : v with { Visits = [.. v.Visits.Where(t => t >= from && t < to)] })
            .ToList();
        if (stored is null)
            return new TerminalHistory(terminalId, pendingInfo.TerminalType, pendingInfo.Lat, pendingInfo.Lon, cardsByDay, inRange);
        var fields = stored.Split(Separator);
        return new TerminalHistory(terminalId, WireNames.Of<TerminalType>()[fields[0]], Coordinate(fields[1]), Coordinate(fields[2]), cardsByDay, inRange);
    }

    /// <inheritdoc />
    public async ValueTask<BaseRate> GetBaseRateAsync(int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        fromDay = Math.Max(fromDay, _stateFromDay);
        if (toDay < fromDay)
            return new BaseRate(0, 0, 0, 0);
        // Redis's side is read once a batch: the counts over the range, and the stored day of each card and terminal
        // the batch has made active (asked for only those not asked for before in this batch).
        var reads = _batch.Reads;
        var unreadCards = _batch.ActiveCards.Keys.Where(c => !reads.CardDays.ContainsKey(c)).ToList();
        var unreadTerminals = _batch.ActiveTerminals.Keys.Where(t => !reads.TerminalDays.ContainsKey(t)).ToList();
        var hasRange = reads.Ranges.TryGetValue((fromDay, toDay), out var range);
        if (!hasRange || unreadCards.Count > 0 || unreadTerminals.Count > 0)
        {
            var batch = _db.CreateBatch();
            var rangeRead = hasRange ? null : ReadRange(batch, fromDay, toDay);
            var cardDays = ReadActiveDays(batch, keys.ActiveCards, unreadCards, reads.CardDays);
            var terminalDays = ReadActiveDays(batch, keys.ActiveTerminals, unreadTerminals, reads.TerminalDays);
            batch.Execute();
            if (rangeRead is not null)
                reads.Ranges[(fromDay, toDay)] = range = await rangeRead;
            await Task.WhenAll(cardDays, terminalDays);
        }
        // The batch's cards and terminals count once, on their latest day, as ZADD GT will leave them.
        bool InRange(int? day) => day is { } d && d >= fromDay && d <= toDay;
        long Added(Dictionary<string, int> pending, Dictionary<string, int?> storedDays) => pending.Sum(p =>
        {
            var storedDay = storedDays[p.Key];
            return (InRange(Math.Max(p.Value, storedDay ?? int.MinValue)) ? 1 : 0) - (InRange(storedDay) ? 1 : 0);
        });
        long PendingWeight(Dictionary<int, long> byDay) => byDay.Where(d => d.Key >= fromDay && d.Key <= toDay).Sum(d => d.Value);
        var rate = BaseRate.FromMicro(
            range.ActiveCards + Added(_batch.ActiveCards, reads.CardDays),
            range.WeightMicro + PendingWeight(_batch.WeightMicro),
            range.StrongMicro + PendingWeight(_batch.StrongMicro),
            range.ActiveTerminals + Added(_batch.ActiveTerminals, reads.TerminalDays));
        Timed?.Invoke("base_rate_read", Stopwatch.GetElapsedTime(started));
        return rate;
    }

    /// <inheritdoc />
    public async ValueTask<AtmAlert?> GetAlertAsync(string terminalId, CancellationToken cancellationToken = default)
    {
        if (_batch.Alerts.TryGetValue(terminalId, out var pending))
            return pending;
        var json = await _db.HashGetAsync(keys.Alerts, terminalId);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)json!, ContractsJsonContext.Default.AtmAlert);
    }

    /// <inheritdoc />
    public ValueTask SaveAlertAsync(AtmAlert alert, CancellationToken cancellationToken = default)
    {
        _batch.Alerts[alert.TerminalId] = alert;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlySet<string>> GetCardsSentAsync(string alertId, string bankId, CancellationToken cancellationToken = default)
    {
        var sent = (await _db.SetMembersAsync(keys.CardsSent(alertId, bankId))).Select(m => (string)m!).ToHashSet(StringComparer.Ordinal);
        if (_batch.CardsSent.TryGetValue((alertId, bankId), out var pending))
            sent.UnionWith(pending);
        return sent;
    }

    /// <inheritdoc />
    public ValueTask AddCardsSentAsync(string alertId, string bankId, IEnumerable<string> cardTokens, CancellationToken cancellationToken = default)
    {
        ref var sent = ref CollectionsMarshal.GetValueRefOrAddDefault(_batch.CardsSent, (alertId, bankId), out _);
        (sent ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(cardTokens);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<RescanEntry>> GetRescansAsync(CancellationToken cancellationToken = default)
    {
        var entries = (await _db.HashGetAllAsync(keys.Rescans)).ToDictionary(e => (string)e.Name!, e => (RescanEntry?)ParseRescan(e.Name!, e.Value!), StringComparer.Ordinal);
        foreach (var (terminal, entry) in _batch.Rescans)
            entries[terminal] = entry;
        return [.. entries.Values.OfType<RescanEntry>()];
    }

    /// <inheritdoc />
    public ValueTask SaveRescanAsync(RescanEntry entry, CancellationToken cancellationToken = default)
    {
        _batch.Rescans[entry.TerminalId] = entry;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveRescansAsync(IReadOnlyCollection<string> terminalIds, CancellationToken cancellationToken = default)
    {
        foreach (var terminal in terminalIds)
            _batch.Rescans[terminal] = null;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask ExpireAsync(int stateBeforeDay, int appliedKeysBeforeDay, CancellationToken cancellationToken = default)
    {
        _stateFromDay = Math.Max(_stateFromDay, stateBeforeDay);
        _batch.Reads = new BatchReads(); // what it read may be what this expiry removes
        // Applied keys are looked up by day, so their days are known: drop the week that just left the window.
        // Everything else is filtered on read by _stateFromDay and removed by its TTL. Idempotent, so not part of a batch.
        var batch = _db.CreateBatch();
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

    /// <summary>
    /// Reads the cards not read yet in this batch, in two round trips for all of them: their last active days and marks,
    /// then their visits in the weeks from the retention before that day.
    /// </summary>
    private async Task ReadCardsAsync(IReadOnlyCollection<string> cardTokens)
    {
        var reads = _batch.Reads;
        var unread = cardTokens.Where(t => !reads.Cards.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
        if (unread.Count == 0)
            return;
        var first = _db.CreateBatch();
        var days = ReadActiveDays(first, keys.ActiveCards, [.. unread.Where(t => !reads.CardDays.ContainsKey(t))], reads.CardDays);
        var marks = unread.Select(t => first.HashGetAsync(keys.Card(t), "mark")).ToList();
        first.Execute();
        await days;
        var second = _db.CreateBatch();
        var weeks = unread.Select(token =>
        {
            if (reads.CardDays[token] is not { } lastDay)
                return [];
            var (firstWeek, lastWeek) = (RedisKeys.Week(Math.Max(_stateFromDay, lastDay - RetentionDays)), RedisKeys.Week(lastDay));
            var score = MemberScores.OfId(token);
            return Enumerable.Range(firstWeek, Math.Max(0, lastWeek - firstWeek + 1))
                .Select(week => second.SortedSetRangeByScoreAsync(keys.CardVisits(token, week), score, score))
                .ToList();
        }).ToList();
        second.Execute();
        for (var i = 0; i < unread.Count; i++)
        {
            var visits = new List<CardVisit>();
            foreach (var week in weeks[i])
                visits.AddRange((await week).Where(member => MemberScores.IsOf(unread[i], member)).Select(member => VisitMember.Parse(member!)));
            var json = await marks[i];
            var mark = json.IsNullOrEmpty ? null : JsonSerializer.Deserialize((string)json!, StoreJsonContext.Default.CompromiseMark);
            reads.Cards[unread[i]] = new StoredCard(mark, visits);
        }
    }

    /// <summary>Queues a read of the stored last active day of <paramref name="ids"/>; the task puts them in <paramref name="days"/>.</summary>
    private static Task ReadActiveDays(IBatch batch, RedisKey activeSet, List<string> ids, Dictionary<string, int?> days)
    {
        if (ids.Count == 0)
            return Task.CompletedTask;
        var scores = batch.SortedSetScoresAsync(activeSet, [.. ids.Select(id => (RedisValue)id)]);
        return Keep();

        async Task Keep()
        {
            var found = await scores;
            for (var i = 0; i < ids.Count; i++)
                days[ids[i]] = found[i] is { } score ? MemberScores.Day(score) : null;
        }
    }

    /// <summary>Queues a read of the base rate's stored counts over [fromDay, toDay].</summary>
    private Task<StoredRange> ReadRange(IBatch batch, int fromDay, int toDay)
    {
        var fields = Enumerable.Range(fromDay, toDay - fromDay + 1).Select(d => (RedisValue)d).ToArray();
        var activeCards = batch.SortedSetLengthAsync(keys.ActiveCards, fromDay, toDay + 1, Exclude.Stop);
        var activeTerminals = batch.SortedSetLengthAsync(keys.ActiveTerminals, fromDay, toDay + 1, Exclude.Stop);
        var weights = batch.HashGetAsync(keys.CompromisedWeight, fields);
        var strong = batch.HashGetAsync(keys.StrongWeight, fields);
        return Combine();

        async Task<StoredRange> Combine() => new(await activeCards, await activeTerminals, Sum(await weights), Sum(await strong));
    }

    private int RetentionDays => (int)Math.Ceiling(retention.TotalDays);

    private object[] MarkArguments(CompromiseMark mark) =>
    [
        KeepStrongerMark, 3, keys.Card(mark.CardToken).ToString(), keys.CompromisedWeight.ToString(), keys.StrongWeight.ToString(),
        mark.BankId, mark.Weight.ToString("R", CultureInfo.InvariantCulture),
        // Milliseconds, not ticks: Lua numbers are doubles, exact only to 2^53.
        mark.FirstFraudAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        JsonSerializer.Serialize(mark, StoreJsonContext.Default.CompromiseMark),
        EventDay.Of(mark.FirstFraudAt).ToString(CultureInfo.InvariantCulture),
        BaseRate.ToMicro(mark.Weight).ToString(CultureInfo.InvariantCulture),
        mark.Strong ? "1" : "0",
        ((long)retention.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
    ];

    private static List<SortedSetEntry> InBucket(Dictionary<(int Period, int Bucket), List<SortedSetEntry>> buckets, (int, int) key)
    {
        ref var members = ref CollectionsMarshal.GetValueRefOrAddDefault(buckets, key, out _);
        return members ??= [];
    }

    private static void Latest(Dictionary<string, int> lastDay, string id, int day)
    {
        ref var latest = ref CollectionsMarshal.GetValueRefOrAddDefault(lastDay, id, out var exists);
        if (!exists || day > latest)
            latest = day;
    }

    private static long Sum(RedisValue[] values) => values.Where(v => v.HasValue).Sum(v => (long)v);

    private static RescanEntry ParseRescan(string terminalId, string value)
    {
        var at = value.IndexOf(Separator, StringComparison.Ordinal);
        var due = value[(at + 1)..];
        return new RescanEntry(terminalId, new DateTimeOffset(long.Parse(value[..at], CultureInfo.InvariantCulture), TimeSpan.Zero),
            due.Length == 0 ? null : new DateTimeOffset(long.Parse(due, CultureInfo.InvariantCulture), TimeSpan.Zero));
    }

    /// <summary>A terminal's field in its bucket: type, latitude, longitude and country.</summary>
    private static string TerminalInfo(CardVisit visit) =>
        string.Join(Separator, WireNames.NameOf(visit.TerminalType), Number(visit.Lat), Number(visit.Lon), visit.Country);

    private static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static double? Coordinate(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);

}
