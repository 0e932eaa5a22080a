using SkimGuard.Contracts;

namespace SkimGuard.Engine.Windows;

/// <summary>
/// Why a card counts as compromised, and how strongly: a fraud report (weighted by its type), a transaction with the
/// counterfeit signature, or later the model's score. A card keeps its strongest mark.
/// </summary>
/// <param name="CardToken">The card.</param>
/// <param name="BankId">The card's issuer.</param>
/// <param name="Weight">How much the card counts towards a terminal's k, from 0 to 1.</param>
/// <param name="Signal">"fraud_report", "counterfeit_signature" or "model_score".</param>
/// <param name="FraudType">The reported type, for report marks.</param>
/// <param name="FirstFraudAt">When the fraud began: visits in the look-back before it are exposures.</param>
/// <param name="KnownAt">Event time at which the engine learned it (a report counts from reported_at).</param>
/// <param name="Cashout">Where the card was cashed out, when seen.</param>
/// <param name="Strong">Strong evidence of skimming (a counterfeit report or a clone's cash-out), as the engine judged it.</param>
public sealed record CompromiseMark(
    string CardToken, string BankId, double Weight, string Signal, FraudType? FraudType, DateTimeOffset FirstFraudAt, DateTimeOffset KnownAt, CashoutPlace? Cashout,
    bool Strong = false);

/// <summary>Where a compromised card was used fraudulently.</summary>
/// <param name="TerminalId">The terminal of the cash-out.</param>
/// <param name="Country">Its country.</param>
/// <param name="Lat">Latitude, when known.</param>
/// <param name="Lon">Longitude, when known.</param>
public sealed record CashoutPlace(string TerminalId, string Country, double? Lat, double? Lon);

/// <summary>Signals that can mark a card compromised.</summary>
public static class Signals
{
    /// <summary>A bank's fraud report.</summary>
    public const string FraudReport = "fraud_report";

    /// <summary>A cash-out that looks like a cloned card: magstripe or fallback, far from the card's usual places.</summary>
    public const string CounterfeitSignature = "counterfeit_signature";

    /// <summary>A card-present transaction the fraud model scored above its threshold.</summary>
    public const string ModelScore = "model_score";
}
