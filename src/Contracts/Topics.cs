namespace SkimGuard.Contracts;

/// <summary>The Kafka topic names of wire format v1.</summary>
public static class Topics
{
    /// <summary>Raw records produced directly by banks; Ingest validates and forwards them.</summary>
    public const string Incoming = "skimguard.incoming.v1";

    /// <summary>Validated transactions, keyed by card token.</summary>
    public const string Transactions = "skimguard.transactions.v1";

    /// <summary>Validated fraud reports, keyed by card token.</summary>
    public const string FraudReports = "skimguard.fraud-reports.v1";

    /// <summary>Records that failed validation, with the reason and the original bytes.</summary>
    public const string Rejected = "skimguard.rejected.v1";

    /// <summary>Newest state of each alert, keyed by terminal.</summary>
    public const string AtmAlerts = "skimguard.atm-alerts.v1";

    /// <summary>Each bank's cards at risk, keyed by bank.</summary>
    public const string CardsAtRisk = "skimguard.cards-at-risk.v1";
}
