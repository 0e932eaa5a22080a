namespace SkimGuard.Contracts;

/// <summary>Where a flagged terminal stands, for the map and the raid plan.</summary>
public sealed record TerminalLocation
{
    /// <summary>A human name, such as "SBI ATM, Station Road".</summary>
    public string? Name { get; init; }

    /// <summary>The neighbourhood, such as "Bhayander West".</summary>
    public string? Locality { get; init; }

    /// <summary>The bank that runs the ATM.</summary>
    public string? BankId { get; init; }

    /// <summary>Latitude.</summary>
    public double? Lat { get; init; }

    /// <summary>Longitude.</summary>
    public double? Lon { get; init; }
}
