using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>What kind of fraud a bank confirmed. Counterfeit is skimming's signature.</summary>
public enum FraudType
{
    /// <summary>A cloned card used in person: the signature of skimming.</summary>
    [JsonStringEnumMemberName("counterfeit")] Counterfeit,
    /// <summary>The physical card was lost or stolen and used.</summary>
    [JsonStringEnumMemberName("lost_stolen")] LostStolen,
    /// <summary>The card number was used online or by phone.</summary>
    [JsonStringEnumMemberName("card_not_present")] CardNotPresent,
    /// <summary>The account was taken over (phishing, SIM swap).</summary>
    [JsonStringEnumMemberName("account_takeover")] AccountTakeover,
    /// <summary>Anything else.</summary>
    [JsonStringEnumMemberName("other")] Other,
}
