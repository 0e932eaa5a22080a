using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// The space-time scan of one terminal: over every candidate skimmer period [s, e] (whole days, bounded by
/// compromised visits, at most MaxWindowDays long) it compares k, the weighted compromised visitors in the period,
/// with n × p, the visitors times the base rate, and keeps the period least likely under chance.
/// </summary>
public static class WindowScan
{
    /// <summary>The period with the smallest Poisson tail probability that meets the minimum k and relative risk, or null.</summary>
    public static ScanResult? Best(TerminalHistory terminal, double baseRate, CppOptions options)
    {
        // Day → compromised cards seen that day (a card may visit on several days).
        var compromisedByDay = new SortedDictionary<int, List<CompromisedVisitor>>();
        foreach (var visitor in terminal.Compromised)
        {
            foreach (var day in visitor.Visits.Select(EventDay.Of).Distinct())
            {
                if (!compromisedByDay.TryGetValue(day, out var list))
                    compromisedByDay[day] = list = [];
                list.Add(visitor);
            }
        }
        var candidateDays = compromisedByDay.Keys.ToArray();
        ScanResult? best = null;
        var visitors = new HashSet<CardRef>();
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in candidateDays)
        {
            visitors.Clear();
            counted.Clear();
            var k = 0.0;
            for (var day = start; day < start + options.MaxWindowDays; day++)
            {
                if (terminal.CardsByDay.TryGetValue(day, out var cards))
                    visitors.UnionWith(cards);
                if (!compromisedByDay.TryGetValue(day, out var compromised))
                    continue;
                foreach (var visitor in compromised)
                    if (counted.Add(visitor.CardToken))
                        k += visitor.Mark.Weight;
                // n is at least k's cards: a compromised visit can precede the day sets' retention in odd replays.
                var n = Math.Max(visitors.Count, counted.Count);
                var expected = n * baseRate;
                if (k < options.MinCompromised || k < options.MinRelativeRisk * expected)
                    continue;
                var pValue = PoissonTail.AtLeast(k, expected);
                if (best is null || pValue < best.PValue)
                    best = new ScanResult(start, day, k, n, expected, pValue);
            }
        }
        return best;
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
