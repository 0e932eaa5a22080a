using SkimGuard.Contracts;

namespace SkimGuard.Engine.Windows;

/// <summary>What the engine knows of one terminal over a range of days: who used it each day, and which of those cards are compromised.</summary>
/// <param name="TerminalId">The terminal.</param>
/// <param name="TerminalType">ATM or POS.</param>
/// <param name="Lat">Latitude, when known.</param>
/// <param name="Lon">Longitude, when known.</param>
/// <param name="CardsByDay">Distinct cards that used the terminal, per day.</param>
/// <param name="Compromised">Compromised cards with a look-back visit here inside the range.</param>
public sealed record TerminalHistory(
    string TerminalId,
    TerminalType TerminalType,
    double? Lat,
    double? Lon,
    IReadOnlyDictionary<int, IReadOnlyCollection<CardRef>> CardsByDay,
    IReadOnlyCollection<CompromisedVisitor> Compromised);

/// <summary>
/// A day's cards that a store can also give as numbers, each naming one card within one <see cref="TerminalHistory"/>:
/// counting distinct cards by number avoids hashing tokens, the costliest part of a terminal scan.
/// </summary>
public interface INumberedCardCollection : IReadOnlyCollection<CardRef>
{
    /// <summary>The cards' numbers.</summary>
    HashSet<int> Numbers { get; }
}

/// <summary>A card and its issuing bank, so that cards at risk can go to their own bank.</summary>
/// <param name="Token">The card token.</param>
/// <param name="BankId">The issuer.</param>
public readonly record struct CardRef(string Token, string BankId);

/// <summary>
/// The base rate of compromise: weighted compromised cards among the cards active over a range of days. Stores add
/// weights in millionths (<see cref="ToMicro"/>), whole numbers, so every store sums them to exactly the same value.
/// </summary>
/// <param name="ActiveCards">Distinct cards with a card-present transaction in the range.</param>
/// <param name="CompromisedWeight">Sum of the marks' weights of cards whose fraud began in the range.</param>
/// <param name="StrongWeight">The same sum over strong marks only.</param>
/// <param name="ActiveTerminals">Distinct card-present terminals used in the range: how many terminals are being tested.</param>
public readonly record struct BaseRate(long ActiveCards, double CompromisedWeight, double StrongWeight, long ActiveTerminals)
{
    /// <summary>A weight in millionths, for exact sums.</summary>
    public static long ToMicro(double weight) => (long)Math.Round(weight * 1_000_000);

    /// <summary>The counts from sums kept in millionths.</summary>
    public static BaseRate FromMicro(long activeCards, long compromisedMicro, long strongMicro, long activeTerminals) =>
        new(activeCards, compromisedMicro / 1_000_000.0, strongMicro / 1_000_000.0, activeTerminals);
}
