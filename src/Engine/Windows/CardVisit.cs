using SkimGuard.Contracts;

namespace SkimGuard.Engine.Windows;

/// <summary>A card read at a terminal (card present): where a skimmer could have copied it.</summary>
/// <param name="CardToken">The card.</param>
/// <param name="BankId">The card's issuer.</param>
/// <param name="TerminalId">The terminal.</param>
/// <param name="TerminalType">ATM or POS.</param>
/// <param name="Time">When.</param>
/// <param name="Lat">Terminal latitude, when known.</param>
/// <param name="Lon">Terminal longitude, when known.</param>
/// <param name="Country">Terminal country.</param>
public readonly record struct CardVisit(
    string CardToken, string BankId, string TerminalId, TerminalType TerminalType, DateTimeOffset Time, double? Lat, double? Lon, string Country);
