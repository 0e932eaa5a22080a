using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Features;

/// <summary>
/// The sliding windows fraud features are computed from, and the computation: per card its recent transactions, per
/// terminal its daily traffic and the frauds and compromised visitors reported there. Events must come in event-time
/// order; <see cref="Extract"/> reads only what came before, so a transaction's features never see a later event or a
/// report not yet received. Training, evaluation, the backtest and the detector all feed events through this one
/// class, so a model is served exactly the features it was trained on.
/// </summary>
public sealed class FeatureWindows
{
    /// <summary>How long a card's transactions are kept: the 30-day windows, and reports naming transactions weeks old.</summary>
    public static readonly TimeSpan CardRetention = TimeSpan.FromDays(45);

    /// <summary>Days of a terminal's counts kept: longer than every window that reads them.</summary>
    public const int TerminalDaysKept = DayCounts.Days;

    /// <summary>A transaction this many times the card's earlier mean counts as large against its habit.</summary>
    private const double LargeAgainstHabit = 3;

    private const long TicksPerHour = TimeSpan.TicksPerHour;
    private const long TicksPerDay = TimeSpan.TicksPerDay;

    private readonly Dictionary<string, CardWindow> _cards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _terminalNumbers = new(StringComparer.Ordinal);
    // A terminal's number stays for the windows' life (cards' past transactions name terminals by it); its window is
    // null while the process holds nothing of it.
    private readonly List<TerminalWindow?> _terminals = [];
    private readonly List<string> _terminalIds = [];
    private FeatureChanges? _changes;
    private readonly HashSet<int> _scratch = [];
    private readonly List<string> _loadedNotObserved = []; // cards loaded this batch, until a transaction of theirs comes
    private bool[] _terminalSeen = [];
    private int _sweptOnDay;

    /// <summary>Cards with a transaction inside the retention.</summary>
    public int CardCount => _cards.Count;

    /// <summary>Fills <paramref name="features"/> (in <see cref="FeatureSchema.Names"/> order) for a transaction not yet observed.</summary>
    public void Extract(Transaction tx, Span<float> features)
    {
        if (features.Length != FeatureSchema.Count)
            throw new ArgumentException($"a feature vector has {FeatureSchema.Count} values, not {features.Length}", nameof(features));
        var card = _cards.GetValueOrDefault(tx.CardToken);
        var history = card?.Transactions ?? [];
        var i = 0;
        TransactionFeatures(tx, card, features, ref i);
        CardFeatures(tx, card, history, features, ref i);
        TerminalFeatures(tx, features, ref i);
        CompromiseFeatures(tx, history, features, ref i);
        System.Diagnostics.Debug.Assert(i == FeatureSchema.Count, "every feature of the schema is filled");
    }

    private static void TransactionFeatures(Transaction tx, CardWindow? card, Span<float> features, ref int i)
    {
        var hour = tx.Timestamp.UtcDateTime.Hour;
        var foreign = card?.HomeCountry is { } home && !string.Equals(home, tx.Country, StringComparison.Ordinal);
        features[i++] = tx.AmountMinor / 100f;
        features[i++] = hour;
        features[i++] = Flag(hour < 6);
        features[i++] = Flag(tx.Timestamp.UtcDateTime.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday);
        features[i++] = Flag(tx.IsCardPresent);
        features[i++] = Flag(tx.TerminalType == TerminalType.Ecom);
        features[i++] = Flag(tx.TerminalType == TerminalType.Atm);
        features[i++] = Flag(tx.EntryMode is EntryMode.Magstripe or EntryMode.Fallback);
        features[i++] = Flag(tx.EntryMode == EntryMode.Manual);
        features[i++] = Flag(tx.TxnType == TxnType.Withdrawal);
        features[i++] = Flag(tx.Approved);
        features[i++] = Flag(foreign);
    }

    /// <summary>The card's own history: counts and amounts over the windows, habits, places.</summary>
    private void CardFeatures(Transaction tx, CardWindow? card, List<PastTransaction> history, Span<float> features, ref int i)
    {
        var now = tx.Timestamp.UtcTicks;
        var amount = tx.AmountMinor / 100f;
        // The card's history, newest first, in one pass.
        int n1h = 0, n24h = 0, n7d = 0, n30d = 0, foreign24h = 0, magstripe7d = 0;
        double sum24h = 0, sum7d = 0, sum30d = 0, max30d = 0;
        int terminals24h = 0, terminals7d = 0;
        PastTransaction? previousCardPresent = null;
        _scratch.Clear();
        for (var k = history.Count - 1; k >= 0; k--)
        {
            var past = history[k];
            var age = now - past.Ticks;
            if (age > 30 * TicksPerDay)
                break;
            if (previousCardPresent is null && past.CardPresent && past.HasLocation)
                previousCardPresent = past;
            var pastAmount = past.AmountMinor / 100.0;
            n30d++;
            sum30d += pastAmount;
            max30d = Math.Max(max30d, pastAmount);
            if (age > 7 * TicksPerDay)
                continue;
            n7d++;
            sum7d += pastAmount;
            if (past.Magstripe)
                magstripe7d++;
            if (_scratch.Add(past.Terminal))
                terminals7d++;
            if (age > TicksPerDay)
                continue;
            n24h++;
            sum24h += pastAmount;
            terminals24h = _scratch.Count;
            if (past.Foreign)
                foreign24h++;
            if (age <= TicksPerHour)
                n1h++;
        }
        features[i++] = n1h;
        features[i++] = n24h;
        features[i++] = n7d;
        features[i++] = n30d;
        features[i++] = Mean(sum24h, n24h);
        features[i++] = Mean(sum7d, n7d);
        features[i++] = Mean(sum30d, n30d);
        features[i++] = n30d > 0 ? (float)(amount / Math.Max(0.01, sum30d / n30d)) : FeatureSchema.Unknown;
        features[i++] = n30d > 0 ? (float)(amount / Math.Max(0.01, max30d)) : FeatureSchema.Unknown;
        // The card's habits from 7 to 30 days ago, and how many of its last week's transactions dwarfed them.
        double olderSum = 0;
        var olderCount = 0;
        foreach (var past in history)
        {
            var age = now - past.Ticks;
            if (age <= 30 * TicksPerDay && age > 7 * TicksPerDay)
            {
                olderSum += past.AmountMinor / 100.0;
                olderCount++;
            }
        }
        var olderMean = olderCount > 0 ? olderSum / olderCount : double.NaN;
        var large7d = 0;
        if (olderCount > 0)
            for (var k = history.Count - 1; k >= 0 && now - history[k].Ticks <= 7 * TicksPerDay; k--)
                if (history[k].AmountMinor / 100.0 > LargeAgainstHabit * olderMean)
                    large7d++;
        features[i++] = olderCount > 0 ? (float)(amount / Math.Max(0.01, olderMean)) : FeatureSchema.Unknown;
        features[i++] = large7d;
        features[i++] = terminals24h;
        features[i++] = terminals7d;
        features[i++] = foreign24h;
        features[i++] = magstripe7d;
        features[i++] = history.Count > 0 ? (float)((now - history[^1].Ticks) / (double)TicksPerHour) : FeatureSchema.Unknown;
        if (previousCardPresent is { } previous && tx.IsCardPresent && tx.Lat is { } lat && tx.Lon is { } lon)
        {
            var km = Geo.DistanceKm(previous.Lat, previous.Lon, lat, lon);
            var hours = Math.Max((now - previous.Ticks) / (double)TicksPerHour, 1.0 / 60);
            features[i++] = (float)km;
            features[i++] = (float)(km / hours);
        }
        else
        {
            features[i++] = FeatureSchema.Unknown;
            features[i++] = FeatureSchema.Unknown;
        }
        features[i++] = history.Count > 0 ? (float)((now - history[0].Ticks) / (double)TicksPerDay) : FeatureSchema.Unknown;
        features[i++] = Flag(card?.ReportedAt is not null);

    }

    /// <summary>The terminal: its traffic, and its fraud as the reports received so far tell it.</summary>
    private void TerminalFeatures(Transaction tx, Span<float> features, ref int i)
    {
        var now = tx.Timestamp.UtcTicks;
        var today = EventDay.Of(tx.Timestamp);
        var terminal = _terminalNumbers.TryGetValue(tx.TerminalId, out var number) ? _terminals[number] : null;
        var txns7d = terminal?.Transactions.Sum(today, 7) ?? 0;
        var txns30d = terminal?.Transactions.Sum(today, 30) ?? 0;
        var frauds7d = terminal?.ReportedFrauds.Sum(today, 7) ?? 0;
        var frauds30d = terminal?.ReportedFrauds.Sum(today, 30) ?? 0;
        features[i++] = terminal?.Transactions.Sum(today, 1) ?? 0;
        features[i++] = txns7d;
        features[i++] = txns30d;
        features[i++] = terminal?.ReportedFrauds.Sum(today, 1) ?? 0;
        features[i++] = frauds7d;
        features[i++] = frauds30d;
        features[i++] = frauds7d / (float)Math.Max(1, txns7d);
        features[i++] = frauds30d / (float)Math.Max(1, txns30d);
        features[i++] = terminal?.ReportedFrauds.Latest(today) is { } lastReport ? today - lastReport : FeatureSchema.Unknown;
        features[i++] = terminal?.OrdinaryFrauds.Sum(today, 7) ?? 0;
        features[i++] = terminal?.OrdinaryFrauds.Sum(today, 30) ?? 0;
        features[i++] = terminal?.EarliestFraudReportedSince(now - 30 * TicksPerDay) is { } firstFraud
            ? (float)((now - firstFraud) / (double)TicksPerDay) : FeatureSchema.Unknown;
        var delayedEnd = today - FeatureSchema.LabelDelayDays;
        features[i++] = terminal?.KnownFraudRate(delayedEnd, 1) ?? 0;
        features[i++] = terminal?.KnownFraudRate(delayedEnd, 7) ?? 0;
        features[i++] = terminal?.KnownFraudRate(delayedEnd, 30) ?? 0;
        features[i++] = terminal?.FraudsByTransactionDay.Sum(today - 1, 7) ?? 0;
        features[i++] = terminal?.KnownFraudRate(today - 1, 7) ?? 0;

    }

    /// <summary>Point of compromise: the most reported-compromised terminal the card used card-present in the last 30 days.</summary>
    private void CompromiseFeatures(Transaction tx, List<PastTransaction> history, Span<float> features, ref int i)
    {
        var now = tx.Timestamp.UtcTicks;
        var today = EventDay.Of(tx.Timestamp);
        var maxVisitors = 0;
        var maxShare = 0f;
        foreach (var past in history)
        {
            if (now - past.Ticks > 30 * TicksPerDay || !past.CardPresent)
                continue;
            if (_terminals[past.Terminal] is not { } visited)
                continue; // the store has nothing of it: no compromised visitor
            var visitors = visited.CompromisedVisitors.Sum(today, 30);
            if (visitors == 0)
                continue;
            maxVisitors = Math.Max(maxVisitors, visitors);
            maxShare = Math.Max(maxShare, visitors / (float)Math.Max(1, visited.Transactions.Sum(today, 30)));
        }
        features[i++] = maxVisitors;
        features[i++] = maxShare;
    }

    /// <summary>Adds a transaction to the windows, after its features were extracted.</summary>
    public void Observe(Transaction tx)
    {
        SweepIfNewDay(tx.Timestamp);
        if (!_cards.TryGetValue(tx.CardToken, out var card))
        {
            _cards.Add(tx.CardToken, card = new CardWindow(tx.Country));
            _changes?.Cards[tx.CardToken] = new CardChange(); // a card forgotten and seen again starts afresh
        }
        card.Observed = true;
        var terminal = TerminalNumber(tx.TerminalId);
        Window(terminal).Transactions.Add(EventDay.Of(tx.Timestamp));
        _changes?.TerminalCounts.Add((tx.TerminalId, TerminalCount.Transactions, EventDay.Of(tx.Timestamp)));
        var past = new PastTransaction(
            tx.Timestamp.UtcTicks, tx.AmountMinor, terminal, tx.TxnId, tx.IsCardPresent,
            tx.EntryMode is EntryMode.Magstripe or EntryMode.Fallback,
            !string.Equals(card.HomeCountry, tx.Country, StringComparison.Ordinal),
            tx.Lat ?? double.NaN, tx.Lon ?? double.NaN, card.NextSeq++);
        card.Add(past);
        var change = _changes?.Card(tx.CardToken);
        change?.Added.Add(Export(past));
        card.DropBefore(tx.Timestamp.UtcTicks - CardRetention.Ticks);
    }

    /// <summary>
    /// Takes in a fraud report at its reported_at: the card is known to be defrauded, each named fraudulent transaction
    /// counts against its terminal, and (on the card's first report) each terminal the card used in the 30 days before
    /// its first fraud gains a compromised visitor.
    /// </summary>
    public void Observe(FraudReport report)
    {
        SweepIfNewDay(report.ReportedAt);
        if (!_cards.TryGetValue(report.CardToken, out var card))
            return; // nothing of the card is kept: no transaction to attribute, no terminal to suspect
        var reportDay = EventDay.Of(report.ReportedAt);
        foreach (var txnId in report.FraudTxnIds ?? [])
            if (card.Find(txnId) is { } fraud)
            {
                Window(fraud.Terminal).AddReportedFraud(report.ReportedAt.UtcTicks, fraud.Ticks);
                var terminalId = _terminalIds[fraud.Terminal];
                _changes?.TerminalFrauds.Add((terminalId, report.ReportedAt.UtcTicks, fraud.Ticks));
                _changes?.TerminalCounts.Add((terminalId, TerminalCount.ReportedFrauds, reportDay));
                _changes?.TerminalCounts.Add((terminalId, TerminalCount.FraudsByTransactionDay, (int)(fraud.Ticks / TicksPerDay)));
                if (card.IsOrdinary(fraud))
                {
                    Window(fraud.Terminal).OrdinaryFrauds.Add(reportDay);
                    _changes?.TerminalCounts.Add((terminalId, TerminalCount.OrdinaryFrauds, reportDay));
                }
            }
        if (card.ReportedAt is not null)
            return;
        card.ReportedAt = report.ReportedAt;
        _changes?.Reported[report.CardToken] = report.ReportedAt;
        var firstFraud = (report.FirstFraudAt ?? report.ReportedAt).UtcTicks;
        _scratch.Clear();
        foreach (var past in card.Transactions)
            if (past.CardPresent && past.Ticks < firstFraud && firstFraud - past.Ticks <= 30 * TicksPerDay && _scratch.Add(past.Terminal))
            {
                Window(past.Terminal).CompromisedVisitors.Add(reportDay);
                _changes?.TerminalCounts.Add((_terminalIds[past.Terminal], TerminalCount.CompromisedVisitors, reportDay));
            }
    }

    /// <summary>
    /// Starts recording every change (for a store that keeps the windows outside the process, such as Redis): what
    /// <see cref="TakeChanges"/> returns is what the events since have changed.
    /// </summary>
    public void TrackChanges() => _changes ??= new FeatureChanges();

    /// <summary>The changes recorded since the last call, and a fresh record.</summary>
    public FeatureChanges TakeChanges()
    {
        var changes = _changes ?? new FeatureChanges();
        _changes = new FeatureChanges();
        foreach (var (token, change) in changes.Cards)
        {
            if (!_cards.TryGetValue(token, out var card))
            {
                changes.Cards.Remove(token); // forgotten since (nothing in the retention): nothing to write
                continue;
            }
            change.HomeCountry = card.HomeCountry;
            change.ReportedAt = card.ReportedAt;
            change.Transactions = new TransactionsView(this, card.Transactions);
        }
        return changes;
    }

    /// <summary>Forgets everything held in the process (the store outside it keeps the state).</summary>
    public void Clear()
    {
        _cards.Clear();
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_terminals).Clear();
        _changes = _changes is null ? null : new FeatureChanges();
    }

    /// <summary>Forgets every card's windows, keeping the terminals'.</summary>
    public void ForgetCards() => _cards.Clear();

    /// <summary>Whether the process holds the card's windows.</summary>
    public bool Holds(string cardToken) => _cards.ContainsKey(cardToken);

    /// <summary>Forgets one card's windows: the store's copy is newer.</summary>
    public void ForgetCard(string cardToken) => _cards.Remove(cardToken);

    /// <summary>
    /// Forgets the cards none of whose transactions came through here since they were loaded (read only for a report):
    /// another replica consumes their transactions and changes them in the store.
    /// </summary>
    public void ForgetCardsNotObservedHere()
    {
        foreach (var token in _loadedNotObserved)
            if (_cards.TryGetValue(token, out var card) && !card.Observed)
                _cards.Remove(token);
        _loadedNotObserved.Clear();
    }

    /// <summary>Takes in cards' state as a store kept it, replacing what the process held of them.</summary>
    public void LoadCards(IReadOnlyDictionary<string, CardFeatureState> cards)
    {
        foreach (var (token, state) in cards)
        {
            var card = new CardWindow(state.HomeCountry) { ReportedAt = state.ReportedAt };
            // Oldest first, and transactions of the same instant in the order they came: the order Observe keeps.
            foreach (var t in state.Transactions.OrderBy(t => t.Ticks).ThenBy(t => t.Seq))
            {
                card.Transactions.Add(new PastTransaction(t.Ticks, t.AmountMinor, TerminalNumber(t.TerminalId), t.TxnId, t.CardPresent, t.Magstripe, t.Foreign, t.Lat, t.Lon, t.Seq));
                card.NextSeq = Math.Max(card.NextSeq, t.Seq + 1);
            }
            // What Observe would have dropped by now.
            if (card.Transactions.Count > 0)
                card.DropBefore(card.Transactions[^1].Ticks - CardRetention.Ticks);
            _cards[token] = card;
            _loadedNotObserved.Add(token);
        }
    }

    /// <summary>Takes in terminals' state as a store kept it (null: nothing kept), replacing what the process held of them.</summary>
    public void LoadTerminals(IReadOnlyDictionary<string, TerminalFeatureState?> terminals)
    {
        foreach (var (terminalId, state) in terminals)
        {
            if (state is null)
            {
                _terminals[TerminalNumber(terminalId)] = null;
                continue;
            }
            var window = new TerminalWindow();
            foreach (var (kind, day, count) in state.Counts)
                window.Counts(kind).Add(day, count);
            foreach (var (reported, fraud) in state.Frauds)
                window.RestoreFraud(reported, fraud);
            _terminals[TerminalNumber(terminalId)] = window;
        }
    }

    /// <summary>
    /// Adds to <paramref name="terminalIds"/> the terminals the cards used card-present inside the retention before
    /// <paramref name="now"/>: those whose windows their point-of-compromise features read (30 days back from each of a
    /// batch's transactions, which may span days).
    /// </summary>
    public void AddTerminalsVisited(IEnumerable<string> cardTokens, DateTimeOffset now, HashSet<string> terminalIds)
    {
        // Each terminal once, told apart by number: a batch's cards name the same terminals tens of thousands of times.
        if (_terminalSeen.Length < _terminals.Count)
            Array.Resize(ref _terminalSeen, Math.Max(_terminals.Count, 2 * _terminalSeen.Length));
        Array.Clear(_terminalSeen);
        foreach (var token in cardTokens)
        {
            if (!_cards.TryGetValue(token, out var card))
                continue;
            foreach (var t in card.Transactions)
                if (t.CardPresent && !_terminalSeen[t.Terminal] && now.UtcTicks - t.Ticks <= CardRetention.Ticks)
                {
                    _terminalSeen[t.Terminal] = true;
                    terminalIds.Add(_terminalIds[t.Terminal]);
                }
        }
    }

    private FeatureTransaction Export(PastTransaction t) =>
        new(t.Ticks, t.AmountMinor, _terminalIds[t.Terminal], t.TxnId, t.CardPresent, t.Magstripe, t.Foreign, t.Lat, t.Lon, t.Seq);

    private TerminalWindow Window(int terminal) => _terminals[terminal] ??= new TerminalWindow();

    private int TerminalNumber(string terminalId)
    {
        if (!_terminalNumbers.TryGetValue(terminalId, out var number))
        {
            number = _terminals.Count;
            _terminalNumbers.Add(terminalId, number);
            _terminals.Add(null);
            _terminalIds.Add(terminalId);
        }
        return number;
    }

    /// <summary>Once per event day, forgets cards with no transaction inside the retention, so memory follows the window.</summary>
    private void SweepIfNewDay(DateTimeOffset now)
    {
        var today = EventDay.Of(now);
        if (today <= _sweptOnDay)
            return;
        _sweptOnDay = today;
        var before = now.UtcTicks - CardRetention.Ticks;
        foreach (var (token, card) in _cards)
            if (card.Transactions.Count == 0 || card.Transactions[^1].Ticks < before)
                _cards.Remove(token);
    }

    private static float Flag(bool value) => value ? 1f : 0f;

    private static float Mean(double sum, int count) => count > 0 ? (float)(sum / count) : FeatureSchema.Unknown;

    private sealed class CardWindow(string homeCountry)
    {
        /// <summary>The country of the first transaction seen: where the card is at home.</summary>
        public string HomeCountry { get; } = homeCountry;

        public List<PastTransaction> Transactions { get; } = [];

        /// <summary>When the first fraud report on the card was received.</summary>
        public DateTimeOffset? ReportedAt { get; set; }

        /// <summary>The <see cref="PastTransaction.Seq"/> of the next transaction.</summary>
        public int NextSeq { get; set; }

        /// <summary>A transaction of the card came through these windows since it was created or loaded.</summary>
        public bool Observed { get; set; }

        public void Add(PastTransaction past)
        {
            // Feeds come in event-time order; a rare late transaction is put in its place.
            var at = Transactions.Count;
            while (at > 0 && Transactions[at - 1].Ticks > past.Ticks)
                at--;
            Transactions.Insert(at, past);
        }

        public void DropBefore(long ticks)
        {
            var stale = 0;
            while (stale < Transactions.Count && Transactions[stale].Ticks < ticks)
                stale++;
            if (stale > 0)
                Transactions.RemoveRange(0, stale);
        }

        /// <summary>
        /// Whether a transaction's amount was ordinary for the card: at most <see cref="LargeAgainstHabit"/> times the
        /// mean of its transactions in the 30 days before (or it had none).
        /// </summary>
        public bool IsOrdinary(PastTransaction transaction)
        {
            double sum = 0;
            var count = 0;
            foreach (var past in Transactions)
                if (past.Ticks < transaction.Ticks && transaction.Ticks - past.Ticks <= 30 * TicksPerDay)
                {
                    sum += past.AmountMinor;
                    count++;
                }
            return count == 0 || transaction.AmountMinor <= LargeAgainstHabit * sum / count;
        }

        public PastTransaction? Find(string txnId)
        {
            foreach (var past in Transactions)
                if (string.Equals(past.TxnId, txnId, StringComparison.Ordinal))
                    return past;
            return null;
        }
    }

    private sealed class TerminalWindow
    {
        private readonly Queue<(long ReportedTicks, long FraudTicks)> _recentFrauds = new();

        public DayCounts Transactions { get; } = new();
        public DayCounts ReportedFrauds { get; } = new();
        public DayCounts CompromisedVisitors { get; } = new();

        /// <inheritdoc cref="TerminalCount.OrdinaryFrauds"/>
        public DayCounts OrdinaryFrauds { get; } = new();

        /// <summary>Reported frauds counted on the day the fraudulent transaction happened (as the reports come in).</summary>
        public DayCounts FraudsByTransactionDay { get; } = new();

        /// <summary>The share of the transactions of the <paramref name="days"/> days ending <paramref name="endDay"/> reported as fraud so far.</summary>
        public float KnownFraudRate(int endDay, int days) =>
            FraudsByTransactionDay.Sum(endDay, days) / (float)Math.Max(1, Transactions.Sum(endDay, days));

        public DayCounts Counts(TerminalCount kind) => kind switch
        {
            TerminalCount.Transactions => Transactions,
            TerminalCount.ReportedFrauds => ReportedFrauds,
            TerminalCount.FraudsByTransactionDay => FraudsByTransactionDay,
            TerminalCount.CompromisedVisitors => CompromisedVisitors,
            _ => OrdinaryFrauds,
        };

        /// <summary>Takes back a reported fraud kept by a store; its counts come back with the day counts.</summary>
        public void RestoreFraud(long reportedTicks, long fraudTicks) => _recentFrauds.Enqueue((reportedTicks, fraudTicks));

        public void AddReportedFraud(long reportedTicks, long fraudTicks)
        {
            ReportedFrauds.Add((int)(reportedTicks / TicksPerDay));
            FraudsByTransactionDay.Add((int)(fraudTicks / TicksPerDay));
            _recentFrauds.Enqueue((reportedTicks, fraudTicks));
            while (_recentFrauds.Peek().ReportedTicks < reportedTicks - DayCounts.Days * TicksPerDay)
                _recentFrauds.Dequeue();
        }

        /// <summary>When the earliest fraud reported since <paramref name="reportedSince"/> happened: how long the terminal's fraud has gone on.</summary>
        public long? EarliestFraudReportedSince(long reportedSince)
        {
            long? earliest = null;
            foreach (var (reported, fraud) in _recentFrauds)
                if (reported >= reportedSince && (earliest is null || fraud < earliest))
                    earliest = fraud;
            return earliest;
        }
    }

    /// <summary>A card's transactions as a store writes them, without copying them.</summary>
    private sealed class TransactionsView(FeatureWindows windows, List<PastTransaction> transactions) : IReadOnlyList<FeatureTransaction>
    {
        public FeatureTransaction this[int index] => windows.Export(transactions[index]);

        public int Count => transactions.Count;

        public IEnumerator<FeatureTransaction> GetEnumerator() => transactions.Select(windows.Export).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private readonly record struct PastTransaction(
        long Ticks, long AmountMinor, int Terminal, string TxnId, bool CardPresent, bool Magstripe, bool Foreign, double Lat, double Lon, int Seq)
    {
        public bool HasLocation => !double.IsNaN(Lat) && !double.IsNaN(Lon);
    }
}
