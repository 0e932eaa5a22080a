using SkimGuard.Contracts;

namespace SkimGuard.Simulator.World;

/// <summary>A terminal of the simulated world: an ATM, a shop's reader or an online merchant.</summary>
internal sealed record Terminal(
    string Id,
    TerminalType Type,
    string Country,
    string Currency,
    double MinorPerRupee,
    double? Lat,
    double? Lon,
    int Locality, // index into Places.Localities, or -1 outside Mira-Bhayander
    string? BankId,
    string? Name,
    double Popularity)
{
    public bool IsLocalAtm => Type == TerminalType.Atm && Locality >= 0;
}
