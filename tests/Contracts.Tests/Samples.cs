using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

/// <summary>Valid records as JSON objects, for tests to break one field at a time.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static ReadContext Context(string? bank = null) => new() { Clock = new FakeTimeProvider(Now), AuthenticatedBankId = bank };

    public static JsonObject Transaction() => new()
    {
        ["schema_version"] = 1,
        ["txn_id"] = "sbi-1001",
        ["bank_id"] = "sbi",
        ["card_token"] = "ct_abc",
        ["card_bin"] = "459150",
        ["card_last4"] = "1234",
        ["terminal_id"] = "ATM-MB-0001",
        ["terminal_type"] = "atm",
        ["timestamp"] = "2026-05-30T09:15:00Z",
        ["amount_minor"] = 500000,
        ["currency"] = "INR",
        ["entry_mode"] = "chip",
        ["txn_type"] = "withdrawal",
        ["approved"] = true,
        ["country"] = "IN",
        ["lat"] = 19.3,
        ["lon"] = 72.85,
    };

    public static JsonObject FraudReport() => new()
    {
        ["schema_version"] = 1,
        ["report_id"] = "fr-1",
        ["bank_id"] = "sbi",
        ["card_token"] = "ct_abc",
        ["reported_at"] = "2026-05-31T10:00:00Z",
        ["fraud_type"] = "counterfeit",
        ["first_fraud_at"] = "2026-05-30T09:15:00Z",
        ["fraud_txn_ids"] = new JsonArray("sbi-1001", "sbi-1002"),
    };

    public static ReadOnlyMemory<byte> Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static JsonObject With(this JsonObject record, string field, JsonNode? value)
    {
        record[field] = value;
        return record;
    }

    public static JsonObject Without(this JsonObject record, string field)
    {
        record.Remove(field);
        return record;
    }
}
