using System.Globalization;
using System.Text;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Windows;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// The fraud features' windows in Redis. A card's hash holds its recent transactions (a field each, named by the card's
/// sequence number: the one replica that consumes the card's transactions adds new ones and deletes old ones, and
/// holds the card in process between batches), its home country and its first report (set once); a terminal's hash
/// holds day counts, incremented by whichever replica saw the event, and its reported frauds. The batch's changes go
/// into the batch's MULTI/EXEC with its applied-event keys, so a replayed event neither counts twice nor is lost.
/// </summary>
public sealed partial class RedisWindowStore : IFeatureStore
{
    // Terminal day counts are kept a little longer than the longest window that reads them (FeatureWindows.TerminalDaysKept).
    private static readonly TimeSpan FeatureRetention = TimeSpan.FromDays(FeatureWindows.TerminalDaysKept + 1);
    private const char RecordSeparator = '\u001e';
    private const string FraudFieldPrefix = "x";
    private const string TransactionFieldPrefix = "t";

    /// <summary>The field that held all of a card's transactions before each had its own; read and converted once.</summary>
    private const string LegacyTransactionsField = "txns";

    /// <summary>First reports kept in the stream: far more than any replica falls behind between two batches.</summary>
    private const int CardsReportedKept = 100_000;

    // The terminals whose windows the process holds as this store returned them: the version they were read at (or
    // brought to by this store's own commits) and the event day they were read on.
    private readonly Dictionary<string, (long Version, int Day)> _heldTerminals = new(StringComparer.Ordinal);

    // Where this store has read the stream of reported cards up to (null before the first read).
    private RedisValue? _cardsReportedCursor;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, CardFeatureState>> GetFeatureCardsAsync(IReadOnlyCollection<string> cardTokens, CancellationToken cancellationToken = default)
    {
        var reads = cardTokens.Select(token => (Token: token, Read: _db.HashGetAllAsync(keys.FeatureCard(token)))).ToList();
        await Task.WhenAll(reads.Select(r => r.Read));
        var cards = new Dictionary<string, CardFeatureState>(StringComparer.Ordinal);
        foreach (var (token, read) in reads)
        {
            string? home = null;
            DateTimeOffset? reportedAt = null;
            var transactions = new List<FeatureTransaction>();
            foreach (var entry in read.Result)
            {
                var name = entry.Name.ToString();
                if (name == "home")
                    home = entry.Value;
                else if (name == "reported")
                    reportedAt = new DateTimeOffset((long)entry.Value, TimeSpan.Zero);
                else if (name == LegacyTransactionsField)
                {
                    var legacy = ParseLegacyTransactions(entry.Value);
                    transactions.AddRange(legacy);
                    _batch.LegacyFeatureCards.Add((token, legacy));
                }
                else if (name.StartsWith(TransactionFieldPrefix, StringComparison.Ordinal))
                    transactions.Add(ParseTransaction(entry.Value.ToString(), int.Parse(name.AsSpan(TransactionFieldPrefix.Length), CultureInfo.InvariantCulture)));
            }
            if (home is null)
                continue; // no transaction of the card kept: as the in-process windows, a report alone records nothing
            cards[token] = new CardFeatureState(home, transactions, reportedAt);
        }
        return cards;
    }

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

    private void WriteFeatures(ITransaction transaction, FeatureChanges changes, List<(string Token, List<FeatureTransaction> Transactions)> legacyCards,
        List<(RedisKey Key, RedisValue Field)> stale, List<Task> writes)
    {
        var ttl = retention > FeatureRetention ? retention : FeatureRetention;
        foreach (var (token, transactions) in legacyCards)
        {
            var key = keys.FeatureCard(token);
            writes.Add(transaction.HashSetAsync(key, [.. transactions.Select(TransactionEntry)]));
            writes.Add(transaction.HashDeleteAsync(key, LegacyTransactionsField));
        }
        foreach (var (token, card) in changes.Cards)
        {
            var key = keys.FeatureCard(token);
            var renewed = card.NewHomeCountry is not null;
            if (renewed)
                writes.Add(transaction.KeyDeleteAsync(key)); // a card forgotten and seen again starts afresh, as in process
            HashEntry[] entries = [.. card.Added.Select(TransactionEntry)];
            if (renewed)
                entries = [new HashEntry("home", card.NewHomeCountry), .. entries];
            if (entries.Length > 0)
                writes.Add(transaction.HashSetAsync(key, entries));
            if (card.Dropped.Count > 0)
                writes.Add(transaction.HashDeleteAsync(key, [.. card.Dropped.Select(TransactionField)]));
            if (renewed || _ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl)));
        }
        foreach (var (token, reportedAt) in changes.Reported)
        {
            var key = keys.FeatureCard(token);
            writes.Add(transaction.HashSetAsync(key, "reported", reportedAt.UtcTicks, When.NotExists));
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

    private static RedisValue TransactionField(int seq) => string.Create(CultureInfo.InvariantCulture, $"{TransactionFieldPrefix}{seq}");

    private static HashEntry TransactionEntry(FeatureTransaction t)
    {
        var flags = (t.CardPresent ? 1 : 0) | (t.Magstripe ? 2 : 0) | (t.Foreign ? 4 : 0);
        return new HashEntry(TransactionField(t.Seq),
            string.Create(CultureInfo.InvariantCulture, $"{t.Ticks}{Separator}{t.AmountMinor}{Separator}{t.TerminalId}{Separator}{t.TxnId}{Separator}{flags}{Separator}{t.Lat:R}{Separator}{t.Lon:R}"));
    }

    private static FeatureTransaction ParseTransaction(string record, int seq)
    {
        var f = record.Split(Separator);
        var flags = int.Parse(f[4], CultureInfo.InvariantCulture);
        return new FeatureTransaction(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3],
            (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, double.Parse(f[5], CultureInfo.InvariantCulture), double.Parse(f[6], CultureInfo.InvariantCulture), seq);
    }

    /// <summary>The card's transactions as one field held them (oldest first), numbered in that order.</summary>
    private static List<FeatureTransaction> ParseLegacyTransactions(RedisValue value) =>
        value.IsNullOrEmpty ? [] : [.. value.ToString().Split(RecordSeparator).Select((record, seq) => ParseTransaction(record, seq))];
}
