using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>What the transaction did.</summary>
public enum TxnType
{
    /// <summary>Cash taken out of an ATM.</summary>
    [JsonStringEnumMemberName("withdrawal")] Withdrawal,
    /// <summary>A balance look-up at an ATM: the card is read, no money moves.</summary>
    [JsonStringEnumMemberName("balance_inquiry")] BalanceInquiry,
    /// <summary>A purchase at a merchant.</summary>
    [JsonStringEnumMemberName("purchase")] Purchase,
    /// <summary>Money sent to another account.</summary>
    [JsonStringEnumMemberName("transfer")] Transfer,
    /// <summary>Money returned by a merchant.</summary>
    [JsonStringEnumMemberName("refund")] Refund,
}
