using System.Globalization;
using System.Text;
using SkimGuard.Engine.Features;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// The fraud features' windows in Redis. A card's hash holds its recent transactions (one field, rewritten by the one
/// replica that consumes the card's transactions), its home country and its first report (set once); a terminal's hash
/// holds day counts, incremented by whichever replica saw the event, and its reported frauds. The batch's changes go
/// into the batch's MULTI/EXEC with its applied-event keys, so a replayed event neither counts twice nor is lost.
/// </summary>
public sealed partial class RedisWindowStore : IFeatureStore
{
    // Terminal day counts are kept a little longer than the longest window that reads them (FeatureWindows.TerminalDaysKept).
    private static readonly TimeSpan FeatureRetention = TimeSpan.FromDays(FeatureWindows.TerminalDaysKept + 1);
    private const char RecordSeparator = '\u001e';
    private const string FraudFieldPrefix = "x";

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, CardFeatureState>> GetFeatureCardsAsync(IReadOnlyCollection<string> cardTokens, CancellationToken cancellationToken = default)
    {
        var reads = cardTokens.Select(token => (Token: token, Read: _db.HashGetAllAsync(keys.FeatureCard(token)))).ToList();
        await Task.WhenAll(reads.Select(r => r.Read));
        var cards = new Dictionary<string, CardFeatureState>(StringComparer.Ordinal);
        foreach (var (token, read) in reads)
        {
            var fields = read.Result.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
            if (!fields.TryGetValue("home", out var home))
                continue; // no transaction of the card kept: as the in-process windows, a report alone records nothing
            cards[token] = new CardFeatureState(home!, ParseTransactions(fields.GetValueOrDefault("txns")),
                fields.TryGetValue("reported", out var reported) ? new DateTimeOffset((long)reported, TimeSpan.Zero) : null);
        }
        return cards;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<string, TerminalFeatureState>> GetFeatureTerminalsAsync(IReadOnlyCollection<string> terminalIds, CancellationToken cancellationToken = default)
    {
        var reads = terminalIds.Select(id => (Id: id, Read: _db.HashGetAllAsync(keys.FeatureTerminal(id)))).ToList();
        await Task.WhenAll(reads.Select(r => r.Read));
        var terminals = new Dictionary<string, TerminalFeatureState>(StringComparer.Ordinal);
        foreach (var (id, read) in reads)
        {
            if (read.Result.Length == 0)
                continue;
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

    private void WriteFeatures(ITransaction transaction, FeatureChanges changes, List<(RedisKey Key, RedisValue Field)> stale, List<Task> writes)
    {
        var ttl = retention > FeatureRetention ? retention : FeatureRetention;
        foreach (var (token, card) in changes.CardStates)
        {
            var key = keys.FeatureCard(token);
            writes.Add(transaction.HashSetAsync(key, [new HashEntry("home", card.HomeCountry), new HashEntry("txns", FormatTransactions(card.Transactions))]));
            if (_ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl)));
        }
        foreach (var (token, reportedAt) in changes.Reported)
        {
            var key = keys.FeatureCard(token);
            writes.Add(transaction.HashSetAsync(key, "reported", reportedAt.UtcTicks, When.NotExists));
            writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl))); // never shorter than the refreshed TTL
        }
        foreach (var group in changes.TerminalCounts.GroupBy(c => c))
        {
            var key = keys.FeatureTerminal(group.Key.Terminal);
            writes.Add(transaction.HashIncrementAsync(key, CountField(group.Key.Kind, group.Key.Day), group.Count()));
            if (_ttls.IsDue(key))
                writes.Add(transaction.KeyExpireAsync(key, TtlRefresh.Ttl(ttl)));
        }
        foreach (var (terminal, reported, fraud) in changes.TerminalFrauds)
            writes.Add(transaction.HashSetAsync(keys.FeatureTerminal(terminal), FraudField(reported, fraud), 1));
        foreach (var (key, field) in stale)
            writes.Add(transaction.HashDeleteAsync(key, field));
    }

    private static string CountField(TerminalCount kind, int day) => string.Create(CultureInfo.InvariantCulture, $"{(char)('a' + (int)kind)}{day}");

    private static string FraudField(long reported, long fraud) => string.Create(CultureInfo.InvariantCulture, $"{FraudFieldPrefix}{reported}{Separator}{fraud}");

    private static string FormatTransactions(IReadOnlyList<FeatureTransaction> transactions)
    {
        var text = new StringBuilder(transactions.Count * 64);
        foreach (var t in transactions)
        {
            if (text.Length > 0)
                text.Append(RecordSeparator);
            var flags = (t.CardPresent ? 1 : 0) | (t.Magstripe ? 2 : 0) | (t.Foreign ? 4 : 0);
            text.Append(CultureInfo.InvariantCulture, $"{t.Ticks}{Separator}{t.AmountMinor}{Separator}{t.TerminalId}{Separator}{t.TxnId}{Separator}{flags}{Separator}{t.Lat:R}{Separator}{t.Lon:R}");
        }
        return text.ToString();
    }

    private static List<FeatureTransaction> ParseTransactions(RedisValue value)
    {
        var transactions = new List<FeatureTransaction>();
        if (value.IsNullOrEmpty)
            return transactions;
        foreach (var record in value.ToString().Split(RecordSeparator))
        {
            var f = record.Split(Separator);
            var flags = int.Parse(f[4], CultureInfo.InvariantCulture);
            transactions.Add(new FeatureTransaction(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3],
                (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, double.Parse(f[5], CultureInfo.InvariantCulture), double.Parse(f[6], CultureInfo.InvariantCulture)));
        }
        return transactions;
    }
}
