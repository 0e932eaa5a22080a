using SkimGuard.Contracts;

namespace SkimGuard.Engine.Cpp;

/// <summary>The identity of an event for idempotency: a bank's transaction id or report id is unique per bank.</summary>
public static class EventKeys
{
    /// <summary>The key of a transaction.</summary>
    public static string Of(Transaction tx) => $"t|{tx.BankId}|{tx.TxnId}";

    /// <summary>The key of a fraud report.</summary>
    public static string Of(FraudReport report) => $"r|{report.BankId}|{report.ReportId}";
}
