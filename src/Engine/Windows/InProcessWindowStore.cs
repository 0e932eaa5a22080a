using System.Runtime.InteropServices;
using SkimGuard.Contracts;

namespace SkimGuard.Engine.Windows;

/// <summary>
/// The window store in this process's memory, for backtests, training and the embedded demo. Compact on purpose
/// (a million cards over a 45-day look-back): visits are 16-byte structs pointing into a terminal table, card
/// tokens are stored once, day sets hold card numbers rather than references (tens of millions of entries the
/// garbage collector then need not trace), and applied-event keys are 64-bit hashes bucketed by day.
/// </summary>
public sealed class InProcessWindowStore : IWindowStore
{
    private readonly Dictionary<string, int> _cardIds = new(StringComparer.Ordinal);
    private readonly List<CardState?> _cards = [];
    private readonly Stack<int> _freeCardIds = new();
    private readonly Dictionary<string, int> _terminalIndex = new(StringComparer.Ordinal);
    private readonly List<TerminalState> _terminals = [];
    private readonly Dictionary<int, HashSet<ulong>> _appliedByDay = [];
    private readonly Dictionary<int, long> _cardsByLastActiveDay = [];
    private readonly Dictionary<int, long> _terminalsByLastActiveDay = [];
    private readonly Dictionary<int, long> _compromisedMicroByDay = [];
    private readonly Dictionary<int, long> _strongMicroByDay = [];
    private readonly Dictionary<string, Contracts.AtmAlert> _alerts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Alert, string Bank), HashSet<string>> _cardsSent = [];
    private readonly Dictionary<string, Cpp.RescanEntry> _rescans = new(StringComparer.Ordinal);

    /// <summary>Cards with state, for tests and memory reports.</summary>
    public int CardCount => _cardIds.Count;

    /// <summary>Visits held across all cards, for tests and memory reports.</summary>
    public long VisitCount => _cards.Sum(c => (long)(c?.Visits.Count ?? 0));

    /// <inheritdoc />
    public ValueTask<bool> IsAppliedAsync(Cpp.EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_appliedByDay.TryGetValue(EventDay.Of(eventTime), out var keys) && keys.Contains(eventKey.Hash64()));

    /// <inheritdoc />
    public ValueTask MarkAppliedAsync(Cpp.EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(eventTime);
        ref var keys = ref CollectionsMarshal.GetValueRefOrAddDefault(_appliedByDay, day, out _);
        keys ??= new HashSet<ulong>(SizeOfDayBefore(_appliedByDay, day));
        keys.Add(eventKey.Hash64());
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Cpp.RescanEntry>> GetRescansAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<Cpp.RescanEntry>>([.. _rescans.Values]);

    /// <inheritdoc />
    public ValueTask SaveRescanAsync(Cpp.RescanEntry entry, CancellationToken cancellationToken = default)
    {
        _rescans[entry.TerminalId] = entry;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveRescansAsync(IReadOnlyCollection<string> terminalIds, CancellationToken cancellationToken = default)
    {
        foreach (var terminalId in terminalIds)
            _rescans.Remove(terminalId);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<CardHistory> GetCardAsync(string cardToken, CancellationToken cancellationToken = default)
    {
        if (!_cardIds.TryGetValue(cardToken, out var id))
            return ValueTask.FromResult(new CardHistory([], null));
        var card = _cards[id]!;
        var visits = new CardVisit[card.Visits.Count];
        for (var i = 0; i < visits.Length; i++)
        {
            var visit = card.Visits[i];
            var terminal = _terminals[visit.Terminal];
            visits[i] = new CardVisit(card.Token, card.BankId, terminal.Id, terminal.Type, new DateTimeOffset(visit.Ticks, TimeSpan.Zero), terminal.Lat, terminal.Lon, terminal.Country);
        }
        return ValueTask.FromResult(new CardHistory(visits, card.Mark));
    }

    /// <inheritdoc />
    public ValueTask AddVisitAsync(CardVisit visit, CancellationToken cancellationToken = default)
    {
        var card = Card(visit.CardToken, visit.BankId);
        var terminalIndex = Terminal(visit);
        var day = EventDay.Of(visit.Time);
        var terminal = _terminals[terminalIndex];
        if (day > terminal.LastActiveDay)
        {
            if (terminal.LastActiveDay != int.MinValue)
                _terminalsByLastActiveDay[terminal.LastActiveDay]--;
            terminal.LastActiveDay = day;
            CollectionsMarshal.GetValueRefOrAddDefault(_terminalsByLastActiveDay, day, out _)++;
        }
        var compact = new Visit(terminalIndex, visit.Time.UtcTicks);
        // Visits arrive in event-time order; a late one is put in its place so the history stays sorted.
        var at = card.Visits.Count;
        while (at > 0 && card.Visits[at - 1].Ticks > compact.Ticks)
            at--;
        card.Visits.Insert(at, compact);
        var cardsByDay = _terminals[terminalIndex].CardsByDay;
        ref var cards = ref CollectionsMarshal.GetValueRefOrAddDefault(cardsByDay, day, out _);
        cards ??= new HashSet<int>(SizeOfDayBefore(cardsByDay, day));
        cards.Add(card.Id);
        if (day > card.LastActiveDay)
        {
            if (card.LastActiveDay != int.MinValue)
                _cardsByLastActiveDay[card.LastActiveDay]--;
            card.LastActiveDay = day;
            CollectionsMarshal.GetValueRefOrAddDefault(_cardsByLastActiveDay, day, out _)++;
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<CompromiseMark> MarkCompromisedAsync(CompromiseMark mark, CancellationToken cancellationToken = default)
    {
        var card = Card(mark.CardToken, mark.BankId);
        var current = card.Mark;
        var stronger = MarkOrder.Stronger(current, mark);
        if (!ReferenceEquals(stronger, current))
        {
            if (current is not null)
                MoveWeight(current, -1);
            MoveWeight(stronger, +1);
            card.Mark = stronger;
        }
        return ValueTask.FromResult(stronger);
    }

    /// <inheritdoc />
    public ValueTask UpsertCompromisedVisitorAsync(string terminalId, CompromisedVisitor visitor, CancellationToken cancellationToken = default)
    {
        if (_terminalIndex.TryGetValue(terminalId, out var index))
            _terminals[index].Compromised[visitor.CardToken] = visitor;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<TerminalHistory?> GetTerminalAsync(string terminalId, int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        if (!_terminalIndex.TryGetValue(terminalId, out var index))
            return ValueTask.FromResult<TerminalHistory?>(null);
        var terminal = _terminals[index];
        // Views, not copies: a scan reads them at once, before any other write to this store.
        var days = terminal.CardsByDay
            .Where(d => d.Key >= fromDay && d.Key <= toDay)
            .ToDictionary(d => d.Key, d => (IReadOnlyCollection<CardRef>)new CardSetView(d.Value, _cards));
        // Only the visits inside the range: a visit on a day whose cards are no longer kept would count against an empty n.
        var (from, to) = (EventDay.Start(fromDay), EventDay.Start(toDay + 1));
        var compromised = terminal.Compromised.Values
            .Where(v => v.Visits.Any(t => t >= from && t < to))
            .Select(v => v.Visits.All(t => t >= from && t < to) ? v : v with { Visits = [.. v.Visits.Where(t => t >= from && t < to)] })
            .ToList();
        return ValueTask.FromResult<TerminalHistory?>(new TerminalHistory(terminal.Id, terminal.Type, terminal.Lat, terminal.Lon, days, compromised));
    }

    /// <inheritdoc />
    public ValueTask<BaseRate> GetBaseRateAsync(int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        return ValueTask.FromResult(BaseRate.FromMicro(SumOver(_cardsByLastActiveDay, fromDay, toDay),
            SumOver(_compromisedMicroByDay, fromDay, toDay), SumOver(_strongMicroByDay, fromDay, toDay), SumOver(_terminalsByLastActiveDay, fromDay, toDay)));
    }

    /// <inheritdoc />
    public ValueTask<Contracts.AtmAlert?> GetAlertAsync(string terminalId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_alerts.GetValueOrDefault(terminalId));

    /// <inheritdoc />
    public ValueTask SaveAlertAsync(Contracts.AtmAlert alert, CancellationToken cancellationToken = default)
    {
        _alerts[alert.TerminalId] = alert;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlySet<string>> GetCardsSentAsync(string alertId, string bankId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlySet<string>>(_cardsSent.TryGetValue((alertId, bankId), out var sent) ? sent : new HashSet<string>());

    /// <inheritdoc />
    public ValueTask AddCardsSentAsync(string alertId, string bankId, IEnumerable<string> cardTokens, CancellationToken cancellationToken = default)
    {
        ref var sent = ref CollectionsMarshal.GetValueRefOrAddDefault(_cardsSent, (alertId, bankId), out _);
        sent ??= new HashSet<string>(StringComparer.Ordinal);
        sent.UnionWith(cardTokens);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ExpireAsync(int stateBeforeDay, int appliedKeysBeforeDay, CancellationToken cancellationToken = default)
    {
        RemoveDaysBefore(_appliedByDay, appliedKeysBeforeDay);
        RemoveDaysBefore(_compromisedMicroByDay, stateBeforeDay);
        RemoveDaysBefore(_strongMicroByDay, stateBeforeDay);
        RemoveDaysBefore(_cardsByLastActiveDay, stateBeforeDay);
        RemoveDaysBefore(_terminalsByLastActiveDay, stateBeforeDay);
        var cutoff = EventDay.Start(stateBeforeDay).UtcTicks;
        var emptyCards = new List<CardState>();
        foreach (var card in _cards)
        {
            if (card is null)
                continue;
            var old = 0;
            while (old < card.Visits.Count && card.Visits[old].Ticks < cutoff)
                old++;
            card.Visits.RemoveRange(0, old);
            if (card.LastActiveDay < stateBeforeDay)
                card.LastActiveDay = int.MinValue; // its count was dropped with the day
            if (card.Visits.Count == 0 && (card.Mark is null || card.Mark.FirstFraudAt.UtcTicks < cutoff))
                emptyCards.Add(card);
        }
        // A card without visits left has no entry in any day set still kept (those days go below), so its number is free.
        foreach (var card in emptyCards)
        {
            _cardIds.Remove(card.Token);
            _cards[card.Id] = null;
            _freeCardIds.Push(card.Id);
        }
        foreach (var terminal in _terminals)
        {
            if (terminal.LastActiveDay < stateBeforeDay)
                terminal.LastActiveDay = int.MinValue; // its count was dropped with the day
            RemoveDaysBefore(terminal.CardsByDay, stateBeforeDay);
            foreach (var stale in terminal.Compromised.Where(v => v.Value.Visits[^1].UtcTicks < cutoff).Select(v => v.Key).ToList())
                terminal.Compromised.Remove(stale);
        }
        return ValueTask.CompletedTask;
    }

    private CardState Card(string token, string bankId)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_cardIds, token, out var exists);
        if (exists)
            return _cards[id]!;
        if (_freeCardIds.TryPop(out id))
            _cards[id] = new CardState(id, token, bankId);
        else
        {
            id = _cards.Count;
            _cards.Add(new CardState(id, token, bankId));
        }
        return _cards[id]!;
    }

    private int Terminal(CardVisit visit)
    {
        ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(_terminalIndex, visit.TerminalId, out var exists);
        if (!exists)
        {
            index = _terminals.Count;
            _terminals.Add(new TerminalState(visit.TerminalId, visit.TerminalType, visit.Lat, visit.Lon, visit.Country));
        }
        return index;
    }

    private void MoveWeight(CompromiseMark mark, int sign)
    {
        var day = EventDay.Of(mark.FirstFraudAt);
        CollectionsMarshal.GetValueRefOrAddDefault(_compromisedMicroByDay, day, out _) += sign * BaseRate.ToMicro(mark.Weight);
        if (mark.Strong)
            CollectionsMarshal.GetValueRefOrAddDefault(_strongMicroByDay, day, out _) += sign * BaseRate.ToMicro(mark.Weight);
    }

    private static long SumOver(Dictionary<int, long> byDay, int fromDay, int toDay)
    {
        var sum = 0L;
        foreach (var (day, value) in byDay)
            if (day >= fromDay && day <= toDay)
                sum += value;
        return sum;
    }

    private static void RemoveDaysBefore<T>(Dictionary<int, T> byDay, int day)
    {
        foreach (var stale in byDay.Keys.Where(d => d < day).ToList())
            byDay.Remove(stale);
    }

    /// <summary>A day's cards as <see cref="CardRef"/>s, read through without copying the set.</summary>
    /// <summary>
    /// A new day's set starts as large as the day before ended: it will likely grow as large, and growing by doubling
    /// copies it a dozen times (the applied keys of a busy day are large-object-heap arrays, which cost full collections).
    /// </summary>
    private static int SizeOfDayBefore<T>(Dictionary<int, HashSet<T>> byDay, int day) =>
        byDay.TryGetValue(day - 1, out var before) ? before.Count : 0;

    private sealed class CardSetView(HashSet<int> ids, List<CardState?> cards) : INumberedCardCollection
    {
        public int Count => ids.Count;

        public HashSet<int> Numbers => ids;

        public IEnumerator<CardRef> GetEnumerator()
        {
            foreach (var id in ids)
            {
                var card = cards[id]!;
                yield return new CardRef(card.Token, card.BankId);
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A visit in 16 bytes: the terminal's index and the time.</summary>
    private readonly record struct Visit(int Terminal, long Ticks);

    private sealed class CardState(int id, string token, string bankId)
    {
        public int Id { get; } = id;
        public string Token { get; } = token;
        public string BankId { get; } = bankId;
        public List<Visit> Visits { get; } = [];
        public CompromiseMark? Mark { get; set; }
        public int LastActiveDay { get; set; } = int.MinValue;
    }

    private sealed class TerminalState(string id, TerminalType type, double? lat, double? lon, string country)
    {
        public string Id { get; } = id;
        public TerminalType Type { get; } = type;
        public double? Lat { get; } = lat;
        public double? Lon { get; } = lon;
        public string Country { get; } = country;
        public int LastActiveDay { get; set; } = int.MinValue;
        /// <summary>Per day, the numbers of the cards that used the terminal.</summary>
        public Dictionary<int, HashSet<int>> CardsByDay { get; } = [];
        public Dictionary<string, CompromisedVisitor> Compromised { get; } = new(StringComparer.Ordinal);
    }
}
