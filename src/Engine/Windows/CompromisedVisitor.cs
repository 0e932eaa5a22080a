namespace SkimGuard.Engine.Windows;

/// <summary>A compromised card's visits to one terminal inside its look-back: one unit (times its weight) of k there.</summary>
/// <param name="Mark">Why the card is compromised.</param>
/// <param name="Visits">When it used the terminal inside its look-back, oldest first.</param>
public sealed record CompromisedVisitor(CompromiseMark Mark, IReadOnlyList<DateTimeOffset> Visits)
{
    /// <summary>The card.</summary>
    public string CardToken => Mark.CardToken;
}

/// <summary>Sums of compromised visitors' weights that every store computes alike.</summary>
public static class CompromisedVisitors
{
    /// <summary>
    /// The visitors' total weight, added in millionths (see <see cref="BaseRate.ToMicro"/>): stores list a terminal's
    /// compromised visitors in different orders, and a floating-point sum in another order can differ in the last bit
    /// (9.3 against 9.300000000000002), enough to change a p-value and so an alert.
    /// </summary>
    public static double TotalWeight(this IEnumerable<CompromisedVisitor> visitors) => visitors.Sum(v => BaseRate.ToMicro(v.Mark.Weight)) / 1_000_000.0;
}
