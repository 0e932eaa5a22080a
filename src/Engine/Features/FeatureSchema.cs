namespace SkimGuard.Engine.Features;

/// <summary>
/// The names and order of the features a model is trained on. A model records <see cref="Version"/>; a model of
/// another version is refused at load, since its trees would read the wrong columns.
/// </summary>
public static class FeatureSchema
{
    /// <summary>Raised whenever a feature is added, removed, reordered or computed differently.</summary>
    public const int Version = 3;

    /// <summary>The features, in vector order. <see cref="FeatureWindows.Extract"/> fills them in this order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        // The transaction itself.
        "amount", "hour_of_day_utc", "is_night", "is_weekend", "is_card_present", "is_ecom", "is_atm",
        "is_magstripe_or_fallback", "is_keyed", "is_withdrawal", "is_approved", "is_foreign",
        // The card's own history (transactions before this one).
        "card_txns_1h", "card_txns_24h", "card_txns_7d", "card_txns_30d",
        "card_mean_amount_24h", "card_mean_amount_7d", "card_mean_amount_30d",
        "amount_to_card_mean_30d", "amount_to_card_max_30d",
        // Against the card's habits before the last week, which a fraud spree of the last days cannot have inflated.
        "amount_to_card_mean_before_last_week", "card_large_txns_7d",
        "card_terminals_24h", "card_terminals_7d", "card_foreign_txns_24h", "card_magstripe_txns_7d",
        "hours_since_previous_txn", "km_from_previous_card_present", "kmh_from_previous_card_present",
        "card_history_days", "card_reported_fraud",
        // The terminal, with fraud known only from reports already received.
        "terminal_txns_1d", "terminal_txns_7d", "terminal_txns_30d",
        "terminal_reported_frauds_1d", "terminal_reported_frauds_7d", "terminal_reported_frauds_30d",
        "terminal_fraud_rate_7d", "terminal_fraud_rate_30d", "days_since_terminal_fraud_report",
        // Reported frauds whose amount was ordinary for their card: the card's habits do not explain them, the terminal may.
        "terminal_ordinary_frauds_7d", "terminal_ordinary_frauds_30d",
        "days_since_terminal_first_reported_fraud_30d",
        // The share of the terminal's transactions later reported as fraud, over days old enough for their reports
        // to have come in (the label delay), and over the last whole week whatever has come in so far.
        "terminal_known_fraud_rate_1d_delayed", "terminal_known_fraud_rate_7d_delayed", "terminal_known_fraud_rate_30d_delayed",
        "terminal_known_frauds_last_week", "terminal_known_fraud_rate_last_week",
        // Point of compromise: reported cards that had visited the terminals this card used in the last 30 days.
        "cpp_max_compromised_visitors_30d", "cpp_max_compromised_share_30d",
    ];

    /// <summary>The length of a feature vector.</summary>
    public static int Count => Names.Count;

    /// <summary>How long reports of fraud usually take to come in: delayed terminal windows end this many days ago.</summary>
    public const int LabelDelayDays = 7;

    /// <summary>The value of a feature that cannot be computed (no history, no location): kept apart from every real value.</summary>
    public const float Unknown = -1f;
}
