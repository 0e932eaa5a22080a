using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>Where a card was used: a cash machine, a shop's card reader, or online.</summary>
public enum TerminalType
{
    /// <summary>A cash machine.</summary>
    [JsonStringEnumMemberName("atm")] Atm,
    /// <summary>A card reader at a merchant (shop, fuel station).</summary>
    [JsonStringEnumMemberName("pos")] Pos,
    /// <summary>An online merchant: no card is present.</summary>
    [JsonStringEnumMemberName("ecom")] Ecom,
}
