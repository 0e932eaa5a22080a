namespace SkimGuard.Engine.Windows;

/// <summary>A compromised card's visits to one terminal inside its look-back: one unit (times its weight) of k there.</summary>
/// <param name="Mark">Why the card is compromised.</param>
/// <param name="Visits">When it used the terminal inside its look-back, oldest first.</param>
public sealed record CompromisedVisitor(CompromiseMark Mark, IReadOnlyList<DateTimeOffset> Visits)
{
    /// <summary>The card.</summary>
    public string CardToken => Mark.CardToken;
}
