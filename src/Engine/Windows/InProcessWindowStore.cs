using System.Runtime.InteropServices;
using SkimGuard.Contracts;

namespace SkimGuard.Engine.Windows;

/// <summary>
/// The window store in this process's memory, for backtests, training and the embedded demo. Compact on purpose
/// (a million cards over a 45-day look-back): visits are 16-byte structs pointing into a terminal table, card
/// tokens are stored once, and applied-event keys are 64-bit hashes bucketed by day.
/// </summary>
public sealed class InProcessWindowStore : IWindowStore
{
    private readonly Dictionary<string, CardState> _cards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _terminalIndex = new(StringComparer.Ordinal);
    private readonly List<TerminalState> _terminals = [];
    private readonly Dictionary<int, HashSet<ulong>> _appliedByDay = [];
    private readonly Dictionary<int, long> _cardsByLastActiveDay = [];
    private readonly Dictionary<int, long> _compromisedMicroByDay = [];
    private readonly Dictionary<int, long> _strongMicroByDay = [];
    private readonly Dictionary<string, Contracts.AtmAlert> _alerts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Alert, string Bank), HashSet<string>> _cardsSent = [];

    /// <summary>Cards with state, for tests and memory reports.</summary>
    public int CardCount => _cards.Count;

    /// <summary>Visits held across all cards, for tests and memory reports.</summary>
    public long VisitCount => _cards.Values.Sum(c => (long)c.Visits.Count);

    /// <inheritdoc />
    public ValueTask<bool> TryMarkAppliedAsync(Cpp.EventKey eventKey, DateTimeOffset eventTime, CancellationToken cancellationToken = default)
    {
        var day = EventDay.Of(eventTime);
        ref var keys = ref CollectionsMarshal.GetValueRefOrAddDefault(_appliedByDay, day, out _);
        keys ??= [];
        return ValueTask.FromResult(keys.Add(eventKey.Hash64()));
    }

    /// <inheritdoc />
    public ValueTask<CardHistory> GetCardAsync(string cardToken, CancellationToken cancellationToken = default)
    {
        if (!_cards.TryGetValue(cardToken, out var card))
            return ValueTask.FromResult(new CardHistory([], null));
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
        var compact = new Visit(terminalIndex, visit.Time.UtcTicks);
        // Visits arrive in event-time order; a late one is put in its place so the history stays sorted.
        var at = card.Visits.Count;
        while (at > 0 && card.Visits[at - 1].Ticks > compact.Ticks)
            at--;
        card.Visits.Insert(at, compact);
        ref var cards = ref CollectionsMarshal.GetValueRefOrAddDefault(_terminals[terminalIndex].CardsByDay, day, out _);
        cards ??= [];
        cards.Add(card);
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
            .ToDictionary(d => d.Key, d => (IReadOnlyCollection<CardRef>)new CardSetView(d.Value));
        var compromised = terminal.Compromised.Values
            .Where(v => v.Visits.Any(t => EventDay.Of(t) is var day && day >= fromDay && day <= toDay))
            .ToList();
        return ValueTask.FromResult<TerminalHistory?>(new TerminalHistory(terminal.Id, terminal.Type, terminal.Lat, terminal.Lon, days, compromised));
    }

    /// <inheritdoc />
    public ValueTask<BaseRate> GetBaseRateAsync(int fromDay, int toDay, CancellationToken cancellationToken = default)
    {
        long active = 0;
        foreach (var (day, count) in _cardsByLastActiveDay)
            if (day >= fromDay && day <= toDay)
                active += count;
        return ValueTask.FromResult(BaseRate.FromMicro(active, SumOver(_compromisedMicroByDay, fromDay, toDay), SumOver(_strongMicroByDay, fromDay, toDay)));
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
        var cutoff = EventDay.Start(stateBeforeDay).UtcTicks;
        var emptyCards = new List<string>();
        foreach (var (token, card) in _cards)
        {
            var old = 0;
            while (old < card.Visits.Count && card.Visits[old].Ticks < cutoff)
                old++;
            card.Visits.RemoveRange(0, old);
            if (card.LastActiveDay < stateBeforeDay)
                card.LastActiveDay = int.MinValue; // its count was dropped with the day
            if (card.Visits.Count == 0 && (card.Mark is null || card.Mark.FirstFraudAt.UtcTicks < cutoff))
                emptyCards.Add(token);
        }
        foreach (var token in emptyCards)
            _cards.Remove(token);
        foreach (var terminal in _terminals)
        {
            RemoveDaysBefore(terminal.CardsByDay, stateBeforeDay);
            foreach (var stale in terminal.Compromised.Where(v => v.Value.Visits[^1].UtcTicks < cutoff).Select(v => v.Key).ToList())
                terminal.Compromised.Remove(stale);
        }
        return ValueTask.CompletedTask;
    }

    private CardState Card(string token, string bankId)
    {
        ref var card = ref CollectionsMarshal.GetValueRefOrAddDefault(_cards, token, out var exists);
        if (!exists)
            card = new CardState(token, bankId);
        return card!;
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
    private sealed class CardSetView(HashSet<CardState> cards) : IReadOnlyCollection<CardRef>
    {
        public int Count => cards.Count;

        public IEnumerator<CardRef> GetEnumerator()
        {
            foreach (var card in cards)
                yield return new CardRef(card.Token, card.BankId);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A visit in 16 bytes: the terminal's index and the time.</summary>
    private readonly record struct Visit(int Terminal, long Ticks);

    private sealed class CardState(string token, string bankId)
    {
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
        /// <summary>Per day, the cards (by reference: one card state is one card) that used the terminal.</summary>
        public Dictionary<int, HashSet<CardState>> CardsByDay { get; } = [];
        public Dictionary<string, CompromisedVisitor> Compromised { get; } = new(StringComparer.Ordinal);
    }
}
