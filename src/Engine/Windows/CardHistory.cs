namespace SkimGuard.Engine.Windows;

/// <summary>One card's recent card-present visits (oldest first) and its compromise mark, if any.</summary>
/// <param name="Visits">Visits inside the look-back, oldest first.</param>
/// <param name="Mark">The card's strongest compromise mark so far.</param>
public sealed record CardHistory(IReadOnlyList<CardVisit> Visits, CompromiseMark? Mark);
