using System.Runtime.InteropServices;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// The space-time scan of one terminal: over every candidate skimmer period [s, e] (whole days, bounded by
/// compromised visits, at most MaxWindowDays long) it compares k, the weighted compromised visitors in the period,
/// with n × p, the distinct visitors times the base rate, and keeps the period least likely under chance among those
/// whose strongly compromised visitors alone are enough and exceed the expected count enough. Weak evidence (card-not-
/// present, account takeover) strengthens a finding but cannot make one: phishing waves cluster by neighbourhood, and a
/// busy shop there would otherwise gather a significant mass of weak marks.
/// </summary>
public static class WindowScan
{
    /// <summary>Candidate periods span at most this many days from the first candidate start (a 128-bit day mask).</summary>
    public const int MaxSpanDays = 128;

    /// <summary>The period with the smallest Poisson tail probability that meets the minimum k and relative risk, or null.</summary>
    public static ScanResult? Best(TerminalHistory terminal, BaseRates baseRate, CppOptions options)
    {
        var compromisedByDay = CompromisedByDay(terminal);
        if (compromisedByDay.Count == 0)
            return null;
        var starts = compromisedByDay.Keys.ToArray();
        var candidates = Candidates(terminal, compromisedByDay, starts, baseRate, options);
        if (candidates.Count == 0)
            return null;
        var distinct = DistinctVisitors(terminal, candidates, options.MaxWindowDays);

        ScanResult? best = null;
        foreach (var window in candidates)
        {
            // n counts the compromised cards too; it can lag k only in replays that feed reports before visits.
            var n = Math.Max(distinct[(window.From, window.To)], window.Cards);
            if (window.StrongK < options.MinRelativeRisk * n * baseRate.Strong)
                continue;
            // Two tests, the smaller p-value kept: all marks by weight (weak evidence beside strong adds to it), and
            // strong marks against the strong base rate (a mass of weak marks elsewhere cannot drown a sparse skimmer).
            var all = (K: window.K, Expected: n * baseRate.All);
            var strong = (K: window.StrongK, Expected: n * baseRate.Strong);
            var (pAll, pStrong) = (PoissonTail.AtLeast(all.K, all.Expected), PoissonTail.AtLeast(strong.K, strong.Expected));
            var (k, expected, pValue) = pStrong < pAll ? (strong.K, strong.Expected, pStrong) : (all.K, all.Expected, pAll);
            if (best is null || pValue < best.PValue)
                best = new ScanResult(window.From, window.To, k, n, expected, pValue);
        }
        return best;
    }

    /// <summary>
    /// The periods that could qualify, from the compromised visitors alone and a lower bound of n: a period needs
    /// enough strongly compromised cards, at least MinRelativeRisk times the expected count even if n were only its
    /// busiest day's cards. Exact n, the costly part, is then counted for these few.
    /// </summary>
    private static List<Window> Candidates(TerminalHistory terminal, SortedDictionary<int, List<CompromisedVisitor>> compromisedByDay, int[] starts, BaseRates baseRate, CppOptions options)
    {
        var windows = new List<Window>();
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in starts)
        {
            if (start - starts[0] + options.MaxWindowDays > MaxSpanDays)
                break;
            counted.Clear();
            // Weights summed in millionths: every store lists the visitors in its own order, and must reach the same k.
            var (kMicro, strongKMicro, strong, busiestDay) = (0L, 0L, 0, 0);
            for (var day = start; day < start + options.MaxWindowDays; day++)
            {
                if (terminal.CardsByDay.TryGetValue(day, out var cards))
                    busiestDay = Math.Max(busiestDay, cards.Count);
                if (!compromisedByDay.TryGetValue(day, out var compromised))
                    continue;
                foreach (var visitor in compromised)
                {
                    if (!counted.Add(visitor.CardToken))
                        continue;
                    var weight = BaseRate.ToMicro(visitor.Mark.Weight);
                    kMicro += weight;
                    if (visitor.Mark.Strong)
                    {
                        strongKMicro += weight;
                        strong++;
                    }
                }
                var (k, strongK) = (kMicro / 1_000_000.0, strongKMicro / 1_000_000.0);
                if (strong >= options.MinCompromised && strongK >= options.MinRelativeRisk * busiestDay * baseRate.Strong)
                    windows.Add(new Window(start, day, k, strongK, strong, counted.Count));
            }
        }
        return windows;
    }

    /// <summary>Day → the compromised cards that used the terminal that day (a card may come on several days).</summary>
    private static SortedDictionary<int, List<CompromisedVisitor>> CompromisedByDay(TerminalHistory terminal)
    {
        var byDay = new SortedDictionary<int, List<CompromisedVisitor>>();
        foreach (var visitor in terminal.Compromised)
        {
            foreach (var day in visitor.Visits.Select(EventDay.Of).Distinct())
            {
                if (!byDay.TryGetValue(day, out var list))
                    byDay[day] = list = [];
                list.Add(visitor);
            }
        }
        return byDay;
    }

    /// <summary>
    /// n for the candidate periods: distinct cards that used the terminal on their days. One pass over the days in
    /// order, remembering the last day each card came: after day e, the cards that came in [s, e] are exactly those
    /// last seen on or after s, so each candidate ending on e is a short sum over a per-day count. One hash update per
    /// card visit, whatever the number of candidates.
    /// </summary>
    private static Dictionary<(int From, int To), int> DistinctVisitors(TerminalHistory terminal, List<Window> candidates, int maxWindowDays)
    {
        var firstDay = candidates.Min(w => w.From);
        var lastDay = candidates.Max(w => w.To);
        var wanted = candidates.Select(w => (w.From, w.To)).ToHashSet();
        var lastSeenByNumber = new Dictionary<int, int>();
        var lastSeenByToken = new Dictionary<string, int>(StringComparer.Ordinal);
        var cardsLastSeenOn = new int[lastDay - firstDay + 1];
        var distinct = new Dictionary<(int, int), int>(wanted.Count);
        for (var day = firstDay; day <= lastDay; day++)
        {
            if (terminal.CardsByDay.TryGetValue(day, out var cards))
            {
                if (cards is INumberedCardCollection numbered)
                {
                    foreach (var number in numbered.Numbers)
                        Seen(lastSeenByNumber, number, day, firstDay, cardsLastSeenOn);
                }
                else
                {
                    foreach (var card in cards)
                        Seen(lastSeenByToken, card.Token, day, firstDay, cardsLastSeenOn);
                }
            }
            var running = 0;
            for (var from = day; from >= firstDay && from > day - maxWindowDays; from--)
            {
                running += cardsLastSeenOn[from - firstDay];
                if (wanted.Contains((from, day)))
                    distinct[(from, day)] = running;
            }
        }
        return distinct;
    }

    /// <summary>Moves a card's last-seen day to <paramref name="day"/>, keeping the count of cards last seen on each day.</summary>
    private static void Seen<TCard>(Dictionary<TCard, int> lastSeen, TCard card, int day, int firstDay, int[] cardsLastSeenOn) where TCard : notnull
    {
        ref var seen = ref CollectionsMarshal.GetValueRefOrAddDefault(lastSeen, card, out var known);
        if (known)
            cardsLastSeenOn[seen - firstDay]--;
        seen = day;
        cardsLastSeenOn[day - firstDay]++;
    }

    /// <summary>A candidate period: weighted k over all marks and over strong ones, the strong cards, all compromised cards.</summary>
    private readonly record struct Window(int From, int To, double K, double StrongK, int Strong, int Cards);
}

/// <summary>The best period of a terminal's scan.</summary>
/// <param name="FromDay">First day of the estimated skimmer period.</param>
/// <param name="ToDay">Last day of it.</param>
/// <param name="K">Weighted compromised visitors in the period.</param>
/// <param name="N">Distinct cards that used the terminal in the period.</param>
/// <param name="Expected">N times the base rate.</param>
/// <param name="PValue">P(X ≥ K) for X ~ Poisson(Expected).</param>
public sealed record ScanResult(int FromDay, int ToDay, double K, int N, double Expected, double PValue)
{
    /// <summary>-log10 of the p-value: 7 means one in ten million.</summary>
    public double Score => -Math.Log10(Math.Max(PValue, 1e-300));
}
