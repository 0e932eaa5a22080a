namespace SkimGuard.Simulator.World;

/// <summary>A resident's card and habits. Only the token, BIN and last four digits ever leave the simulator.</summary>
internal sealed class Card
{
    public required string Token { get; init; }
    public required string Bin { get; init; }
    public required string Last4 { get; init; }
    public required string BankId { get; init; }
    public required int Home { get; init; }
    public required int Work { get; init; }
    /// <summary>Terminal indices of the ATMs this card usually uses.</summary>
    public required int[] FavouriteAtms { get; init; }
    public required double AtmRate { get; init; }
    public required double PosRate { get; init; }
    public required double EcomRate { get; init; }

    /// <summary>While travelling: the index of the city, else -1.</summary>
    public int TripCity { get; set; } = -1;
    public int TripLastDay { get; set; }

    /// <summary>Set once the card is defrauded, so one card is one fraud case.</summary>
    public bool Defrauded { get; set; }
}
