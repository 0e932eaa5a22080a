namespace SkimGuard.Contracts.Registry;

/// <summary>One row of the ATM registry: a cash machine the centre can find and raid.</summary>
/// <param name="TerminalId">The id transactions carry in terminal_id.</param>
/// <param name="BankId">The bank that runs the ATM.</param>
/// <param name="Name">A human name, such as "SBI ATM, Station Road".</param>
/// <param name="Lat">Latitude.</param>
/// <param name="Lon">Longitude.</param>
/// <param name="Locality">The neighbourhood, such as "Bhayander West".</param>
public sealed record AtmRecord(string TerminalId, string BankId, string Name, double Lat, double Lon, string Locality);
