namespace SkimGuard.Contracts.Cards;

/// <summary>What may be kept of a card: its token, and the BIN and last four digits that are safe to show.</summary>
public readonly record struct TokenizedCard(string Token, string Bin, string Last4);
