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

/// <summary>
/// The headers of a message on <see cref="Topics.Rejected"/>. Its value is the original bytes, untouched (a PAN
/// cannot be in them: the edge refuses such records before they reach any topic, and the reason never quotes a value).
/// </summary>
public static class RejectedHeaders
{
    /// <summary>Every problem as "field: reason", joined with "; ".</summary>
    public const string Reason = "skimguard-reason";

    /// <summary>The problems' stable codes, comma-separated (see ProblemCodes).</summary>
    public const string Codes = "skimguard-codes";

    /// <summary>Where the record came from: "topic/partition/offset", or "http" at the ingest API.</summary>
    public const string Source = "skimguard-source";

    /// <summary>Present when the original was too large to keep whole: its length in bytes (the value holds its start).</summary>
    public const string TruncatedFrom = "skimguard-truncated-from";
}

/// <summary>
/// The headers of a bank's message on <see cref="Topics.Incoming"/>. The deployment binds the bank header to the
/// producer's credentials (a Kafka ACL or a proxy), so a bank cannot send as another.
/// </summary>
public static class IncomingHeaders
{
    /// <summary>The sending bank's id.</summary>
    public const string Bank = "skimguard-bank";

    /// <summary>What the message holds: "transaction" or "fraud_report".</summary>
    public const string Record = "skimguard-record";
}
