using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Windows;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// The fraud features' windows in Redis. A card's transactions are kept by week, in the week's bucket of cards (one hash
/// per week and bucket, a field per card holding its home country, its first report and that week's transactions), so a
/// batch writes one command per bucket and week it touches rather than one per card; only the replica consuming the
/// card's transactions writes them, and it holds the card in process between batches. A terminal's hash holds day
/// counts, incremented by whichever replica saw the event, and its reported frauds. The batch's changes go into the
/// batch's MULTI/EXEC with its applied-event keys, so a replayed event neither counts twice nor is lost.
/// </summary>
public sealed partial class RedisWindowStore : IFeatureStore
{
    // Terminal day counts are kept a little longer than the longest window that reads them (FeatureWindows.TerminalDaysKept).
    private static readonly TimeSpan FeatureRetention = TimeSpan.FromDays(FeatureWindows.TerminalDaysKept + 1);
    private const char RecordSeparator = '\u001e';
    private const string FraudFieldPrefix = "x";
    // A card's first report, set by whichever replica processed it, is a field of its own beside the card's.
    private const string ReportedFieldSuffix = ":r";

    /// <summary>First reports kept in the stream: far more than any replica falls behind between two batches.</summary>
    private const int CardsReportedKept = 100_000;

    // The terminals whose windows the process holds as this store returned them: the version they were read at (or
    // brought to by this store's own commits) and the event day they were read on.
    private readonly Dictionary<string, (long Version, int Day)> _heldTerminals = new(StringComparer.Ordinal);

    // Where this store has read the stream of reported cards up to (null before the first read).
    private RedisValue? _cardsReportedCursor;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, CardFeatureState>> GetFeatureCardsAsync(IReadOnlyCollection<string> cardTokens, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        // Every week that can hold a transaction inside the retention, one HMGET per week and bucket for all the cards.
        var today = EventDay.Of(now);
        var (firstWeek, lastWeek) = (RedisKeys.Week(today - (int)FeatureWindows.CardRetention.TotalDays - 1), RedisKeys.Week(today));
        var reads = new List<(string[] Tokens, Task<RedisValue[]> Read)>();
        foreach (var bucket in cardTokens.GroupBy(RedisKeys.BucketOf))
        {
            var tokens = bucket.ToArray();
            RedisValue[] fields = [.. tokens.Select(t => (RedisValue)t), .. tokens.Select(t => (RedisValue)(t + ReportedFieldSuffix))];
            for (var week = firstWeek; week <= lastWeek; week++)
                reads.Add((tokens, _db.HashGetAsync(keys.FeatureCardWeek(week, bucket.Key), fields)));
        }
        await Task.WhenAll(reads.Select(r => r.Read));
        var found = new Dictionary<string, (string Home, DateTimeOffset? ReportedAt, List<FeatureTransaction> Transactions)>(StringComparer.Ordinal);
        foreach (var (tokens, read) in reads) // oldest week first, within each bucket
        {
            var values = read.Result;
            for (var i = 0; i < tokens.Length; i++)
            {
                var reported = values[tokens.Length + i];
                if (values[i].IsNull && reported.IsNull)
                    continue;
                ref var card = ref CollectionsMarshal.GetValueRefOrAddDefault(found, tokens[i], out var seen);
                if (!seen)
                    card = ("", null, []);
                if (!reported.IsNull)
                    card.ReportedAt = Earliest(card.ReportedAt, new DateTimeOffset((long)reported, TimeSpan.Zero));
                if (!values[i].IsNull)
                {
                    var (home, reportedAt) = ParseCardWeek(values[i].ToString(), card.Transactions);
                    card.Home = home; // the newest week's: a card forgotten and seen again has a new home
                    card.ReportedAt = Earliest(card.ReportedAt, reportedAt);
                }
            }
        }
        var cards = new Dictionary<string, CardFeatureState>(StringComparer.Ordinal);
        foreach (var (token, card) in found)
            if (card.Transactions.Count > 0) // as the in-process windows: a report alone records nothing
                cards[token] = new CardFeatureState(card.Home, card.Transactions, card.ReportedAt);
        return cards;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyCollection<string>> TakeCardsReportedAsync(CancellationToken cancellationToken = default)
    {
        if (_cardsReportedCursor is not { } cursor)
        {
            var newest = await _db.StreamRangeAsync(keys.CardsReported, "-", "+", count: 1, messageOrder: Order.Descending);
            _cardsReportedCursor = newest.Length > 0 ? newest[0].Id : "0-0";
            return [];
        }
        var entries = await _db.StreamReadAsync(keys.CardsReported, cursor);
        if (entries.Length == 0)
            return [];
        _cardsReportedCursor = entries[^1].Id;
        return [.. entries.Select(e => e.Values[0].Value.ToString())];
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, TerminalFeatureState?>> GetFeatureTerminalsAsync(IReadOnlyCollection<string> terminalIds, DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        var terminals = new Dictionary<string, TerminalFeatureState?>(StringComparer.Ordinal);
        if (terminalIds.Count == 0)
            return terminals;
        // Versions first, then the windows of those that changed: a write landing in between makes the version read
        // older than the windows, which only reads them again next time, never holds them out of date.
        var ids = terminalIds.ToArray();
        var versions = await _db.HashGetAsync(keys.FeatureTerminalVersions, Array.ConvertAll(ids, id => (RedisValue)id));
        var today = EventDay.Of(now);
        var reads = new List<(string Id, long Version, Task<HashEntry[]> Read)>();
        for (var i = 0; i < ids.Length; i++)
        {
            var version = versions[i].IsNull ? 0 : (long)versions[i];
            // Read again once a day too: a read is when the fields that fell out of the windows are deleted.
            if (_heldTerminals.TryGetValue(ids[i], out var held) && held.Version == version && held.Day >= today)
                continue;
            reads.Add((ids[i], version, _db.HashGetAllAsync(keys.FeatureTerminal(ids[i]))));
        }
        await Task.WhenAll(reads.Select(r => r.Read));
        foreach (var (id, version, read) in reads)
        {
            _heldTerminals[id] = (version, today);
            if (read.Result.Length == 0)
            {
                terminals[id] = null;
                continue;
            }
            var counts = new List<(TerminalCount Kind, int Day, int Count)>();
            var frauds = new List<(long Reported, long Fraud)>();
            foreach (var entry in read.Result)
            {
                var name = entry.Name.ToString();
                if (name.StartsWith(FraudFieldPrefix, StringComparison.Ordinal))
                {
                    var parts = name[FraudFieldPrefix.Length..].Split(Separator);
                    frauds.Add((long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture)));
                }
                else
                    counts.Add(((TerminalCount)(name[0] - 'a'), int.Parse(name.AsSpan(1), CultureInfo.InvariantCulture), (int)entry.Value));
            }
            // Days older than the windows' ring are dropped here and deleted with the batch, so a hash stays bounded.
            var newest = counts.Count > 0 ? counts.Max(c => c.Day) : 0;
            foreach (var stale in counts.Where(c => c.Day <= newest - FeatureWindows.TerminalDaysKept))
                _batch.StaleFeatureFields.Add((keys.FeatureTerminal(id), CountField(stale.Kind, stale.Day)));
            var oldestReport = (newest - FeatureWindows.TerminalDaysKept) * TimeSpan.TicksPerDay;
            foreach (var stale in frauds.Where(f => f.Reported < oldestReport))
                _batch.StaleFeatureFields.Add((keys.FeatureTerminal(id), FraudField(stale.Reported, stale.Fraud)));
            terminals[id] = new TerminalFeatureState(
                [.. counts.Where(c => c.Day > newest - FeatureWindows.TerminalDaysKept).OrderBy(c => c.Day)],
                [.. frauds.Where(f => f.Reported >= oldestReport).OrderBy(f => f.Reported)]);
        }
        return terminals;
    }

    /// <inheritdoc />
    public void SaveFeatureChanges(FeatureChanges changes) => _batch.Features = changes;

    /// <summary>
    /// After a commit: a terminal whose version went up by exactly this commit's one is, in the process, as Redis has it
    /// (the windows took in the same changes); one that went up by more was written by another replica meanwhile, and is
    /// read again when next needed.
    /// </summary>
    private void HeldTerminalsCommitted()
    {
        foreach (var (terminal, version) in _batch.TerminalVersions)
        {
            if (!_heldTerminals.TryGetValue(terminal, out var held))
                continue;
            if (version.Result == held.Version + 1)
                _heldTerminals[terminal] = (version.Result, held.Day);
            else
                _heldTerminals.Remove(terminal);
        }
    }

    private void WriteFeatures(ITransaction transaction, FeatureChanges changes, List<(RedisKey Key, RedisValue Field)> stale, List<Task> writes)
    {
        var ttl = retention > FeatureRetention ? retention : FeatureRetention;
        // Each changed card's weeks that gained a transaction, whole, into their week's bucket: one HSET per week and bucket.
        var cardWeeks = new Dictionary<(int Week, int Bucket), List<HashEntry>>();
        foreach (var (token, card) in changes.Cards)
        {
            var bucket = RedisKeys.BucketOf(token);
            foreach (var week in card.Added.Select(t => RedisKeys.Week((int)(t.Ticks / TimeSpan.TicksPerDay))).Distinct())
            {
                ref var entries = ref CollectionsMarshal.GetValueRefOrAddDefault(cardWeeks, (week, bucket), out _);
                (entries ??= []).Add(new HashEntry(token, FormatCardWeek(card, week)));
            }
        }
        foreach (var ((week, bucket), entries) in cardWeeks)
        {
            var key = keys.FeatureCardWeek(week, bucket);
            writes.Add(transaction.HashSetAsync(key, [.. entries]));
            if (_ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl)));
        }
        foreach (var (token, reportedAt) in changes.Reported)
        {
            var key = keys.FeatureCardWeek(RedisKeys.Week(EventDay.Of(reportedAt)), RedisKeys.BucketOf(token));
            writes.Add(transaction.HashSetAsync(key, token + ReportedFieldSuffix, reportedAt.UtcTicks, When.NotExists));
            writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl))); // never shorter than the refreshed TTL
            writes.Add(transaction.StreamAddAsync(keys.CardsReported, "card", token, maxLength: CardsReportedKept, useApproximateMaxLength: true));
        }
        if (changes.Reported.Count > 0)
            writes.Add(transaction.KeyExpireAsync(keys.CardsReported, ttl));
        foreach (var group in changes.TerminalCounts.GroupBy(c => c))
        {
            var key = keys.FeatureTerminal(group.Key.Terminal);
            writes.Add(transaction.HashIncrementAsync(key, CountField(group.Key.Kind, group.Key.Day), group.Count()));
            if (_ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl)));
        }
        foreach (var (terminal, reported, fraud) in changes.TerminalFrauds)
            writes.Add(transaction.HashSetAsync(keys.FeatureTerminal(terminal), FraudField(reported, fraud), 1));
        var changedTerminals = changes.TerminalCounts.Select(c => c.Terminal).Concat(changes.TerminalFrauds.Select(f => f.Terminal)).ToHashSet(StringComparer.Ordinal);
        foreach (var terminal in changedTerminals)
        {
            var version = transaction.HashIncrementAsync(keys.FeatureTerminalVersions, terminal);
            _batch.TerminalVersions.Add((terminal, version));
            writes.Add(version);
        }
        if (changedTerminals.Count > 0 && _ttls.IsDue(keys.FeatureTerminalVersions))
            writes.Add(transaction.KeyExpireAsync(keys.FeatureTerminalVersions, TtlRefresh.Ttl(ttl)));
        foreach (var (key, field) in stale)
            writes.Add(transaction.HashDeleteAsync(key, field));
    }

    private static string CountField(TerminalCount kind, int day) => string.Create(CultureInfo.InvariantCulture, $"{(char)('a' + (int)kind)}{day}");

    private static string FraudField(long reported, long fraud) => string.Create(CultureInfo.InvariantCulture, $"{FraudFieldPrefix}{reported}{Separator}{fraud}");

    /// <summary>
    /// A card's field in a week's bucket: its home country and first report (ticks, or empty), then each of its
    /// transactions of that week (sequence number, ticks, amount, terminal, id, flags, latitude, longitude).
    /// </summary>
    private static string FormatCardWeek(CardChange card, int week)
    {
        var text = new StringBuilder(card.HomeCountry).Append(Separator).Append(card.ReportedAt?.UtcTicks.ToString(CultureInfo.InvariantCulture));
        foreach (var t in card.Transactions)
        {
            if (RedisKeys.Week((int)(t.Ticks / TimeSpan.TicksPerDay)) != week)
                continue;
            var flags = (t.CardPresent ? 1 : 0) | (t.Magstripe ? 2 : 0) | (t.Foreign ? 4 : 0);
            text.Append(RecordSeparator).Append(CultureInfo.InvariantCulture,
                $"{t.Seq}{Separator}{t.Ticks}{Separator}{t.AmountMinor}{Separator}{t.TerminalId}{Separator}{t.TxnId}{Separator}{flags}{Separator}{t.Lat:R}{Separator}{t.Lon:R}");
        }
        return text.ToString();
    }

    /// <summary>Reads a card's field of a week (see <see cref="FormatCardWeek"/>), adding its transactions to <paramref name="transactions"/>.</summary>
    private static (string Home, DateTimeOffset? ReportedAt) ParseCardWeek(string value, List<FeatureTransaction> transactions)
    {
        var records = value.Split(RecordSeparator);
        var header = records[0].Split(Separator);
        foreach (var record in records.AsSpan(1))
        {
            var f = record.Split(Separator);
            var flags = int.Parse(f[5], CultureInfo.InvariantCulture);
            transactions.Add(new FeatureTransaction(long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4],
                (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, double.Parse(f[6], CultureInfo.InvariantCulture), double.Parse(f[7], CultureInfo.InvariantCulture),
                int.Parse(f[0], CultureInfo.InvariantCulture)));
        }
        return (header[0], header[1].Length > 0 ? new DateTimeOffset(long.Parse(header[1], CultureInfo.InvariantCulture), TimeSpan.Zero) : null);
    }
}
