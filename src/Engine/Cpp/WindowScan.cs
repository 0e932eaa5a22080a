using System.Runtime.InteropServices;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// The space-time scan of one terminal: over every candidate skimmer period [s, e] (whole days, bounded by
/// compromised visits, at most MaxWindowDays long) it compares k, the weighted compromised visitors in the period,
/// with n × p, the distinct visitors times the base rate, and keeps the period least likely under chance.
/// </summary>
public static class WindowScan
{
    /// <summary>Candidate periods span at most this many days from the first candidate start (a 128-bit day mask).</summary>
    public const int MaxSpanDays = 128;

    /// <summary>The period with the smallest Poisson tail probability that meets the minimum k and relative risk, or null.</summary>
    public static ScanResult? Best(TerminalHistory terminal, double baseRate, CppOptions options)
    {
        var compromisedByDay = CompromisedByDay(terminal);
        if (compromisedByDay.Count == 0)
            return null;
        var starts = compromisedByDay.Keys.ToArray();
        var firstDay = starts[0];
        var distinct = DistinctVisitors(terminal, starts, options.MaxWindowDays);

        ScanResult? best = null;
        var counted = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < starts.Length; i++)
        {
            counted.Clear();
            var k = 0.0;
            for (var offset = 0; offset < options.MaxWindowDays; offset++)
            {
                var day = starts[i] + offset;
                if (day - firstDay >= MaxSpanDays || !compromisedByDay.TryGetValue(day, out var compromised))
                    continue;
                foreach (var visitor in compromised)
                    if (counted.Add(visitor.CardToken))
                        k += visitor.Mark.Weight;
                // n counts the compromised cards too; it can lag k only in replays that feed reports before visits.
                var n = Math.Max(distinct[i, offset], counted.Count);
                var expected = n * baseRate;
                if (k < options.MinCompromised || k < options.MinRelativeRisk * expected)
                    continue;
                var pValue = PoissonTail.AtLeast(k, expected);
                if (best is null || pValue < best.PValue)
                    best = new ScanResult(starts[i], day, k, n, expected, pValue);
            }
        }
        return best;
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
    /// n for every candidate period at once: result[i, offset] = distinct cards that used the terminal on the days
    /// starts[i] .. starts[i] + offset. Each card's days become one bit mask (one hash lookup per day it came); a card
    /// counts from the first day it came on or after each start.
    /// </summary>
    private static int[,] DistinctVisitors(TerminalHistory terminal, int[] starts, int maxWindowDays)
    {
        var firstDay = starts[0];
        var masks = new Dictionary<string, UInt128>(StringComparer.Ordinal);
        foreach (var (day, cards) in terminal.CardsByDay)
        {
            var bit = day - firstDay;
            if (bit is < 0 or >= MaxSpanDays)
                continue;
            foreach (var card in cards)
                CollectionsMarshal.GetValueRefOrAddDefault(masks, card.Token, out _) |= UInt128.One << bit;
        }
        var firstSeen = new int[starts.Length, maxWindowDays];
        foreach (var mask in masks.Values)
        {
            for (var i = 0; i < starts.Length; i++)
            {
                var shift = starts[i] - firstDay;
                if (shift >= MaxSpanDays)
                    break;
                var rest = mask >> shift;
                if (rest == UInt128.Zero)
                    break; // no visit on or after this start, nor after any later one
                var offset = (int)UInt128.TrailingZeroCount(rest);
                if (offset < maxWindowDays)
                    firstSeen[i, offset]++;
            }
        }
        var distinct = new int[starts.Length, maxWindowDays];
        for (var i = 0; i < starts.Length; i++)
        {
            var running = 0;
            for (var offset = 0; offset < maxWindowDays; offset++)
                distinct[i, offset] = running += firstSeen[i, offset];
        }
        return distinct;
    }
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
