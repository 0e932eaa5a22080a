using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>How the card data was read. Magstripe and fallback reads are what a cloned card produces.</summary>
public enum EntryMode
{
    /// <summary>EMV chip read.</summary>
    [JsonStringEnumMemberName("chip")] Chip,
    /// <summary>Magnetic stripe swiped.</summary>
    [JsonStringEnumMemberName("magstripe")] Magstripe,
    /// <summary>The chip could not be read and the terminal fell back to the stripe.</summary>
    [JsonStringEnumMemberName("fallback")] Fallback,
    /// <summary>Tap to pay.</summary>
    [JsonStringEnumMemberName("contactless")] Contactless,
    /// <summary>Card number keyed in by hand.</summary>
    [JsonStringEnumMemberName("manual")] Manual,
    /// <summary>Card number entered online.</summary>
    [JsonStringEnumMemberName("ecom")] Ecom,
}
