using System.Text;
using System.Text.Json;
using CsCheck;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

/// <summary>
/// Generated records with hostile text in every string field and field name: escapes that are not text, control
/// characters, card numbers in every writing, scripts and other alphabets. The readers never throw, say nothing that
/// holds a card number, and a record they accept reads back the same after it is written out.
/// </summary>
public sealed class HostileTextPropertyTests
{
    // Pieces of JSON string text, as written between the quotes: a generated value is a run of them.
    private static readonly string[] Pieces =
    [
        "\\ud800", "\\udc00", "\\udbff\\udfff", "\\ud83d\\ude00", "\\u0000", "\\u001f", "\\\"", "\\\\", "\\/", "\\n", "\\uFEFF", "\\uFFFF",
        "é", "ब्रांच", "𝟘", "<script>alert(1)</script>", " ", "-", ".", "_", "0", "42", "2026-05-30", "ATM-MB-0001",
        "4111111111111111", "4111 1111 1111 1111", "5500-0055-5555-5559", "3400.0000.0000.009", "\\u0034\\u0031\\u0031\\u0031", "1111111111111",
    ];

    private static readonly string[] TransactionStringFields =
        ["txn_id", "bank_id", "card_token", "card_bin", "card_last4", "terminal_id", "terminal_type", "timestamp", "currency", "entry_mode", "txn_type", "country"];

    private static readonly string[] ReportStringFields = ["report_id", "bank_id", "card_token", "reported_at", "fraud_type", "first_fraud_at"];

    private static readonly Gen<string> HostileText = Gen.Int[0, Pieces.Length - 1].Array[0, 8].Select(picks => string.Concat(picks.Select(i => Pieces[i])));

    /// <summary>A valid record's JSON with one field's value, or a new field's name, replaced by hostile text.</summary>
    private static string Spoil(string json, string field, string text, bool asName) =>
        asName
            ? json.Insert(1, $"\"{text}\":1,")
            : System.Text.RegularExpressions.Regex.Replace(json, $"\"{field}\":\"[^\"]*\"", _ => $"\"{field}\":\"{text}\"");

    private static bool SaysNoPan(IEnumerable<ValidationProblem> said) => said.All(p => PanScanner.FindPans(p.ToString() + " " + p.Field).Count == 0);

    [Fact]
    public void TransactionsWithHostileTextAreReadOrRefusedNeverThrown()
    {
        var json = Encoding.UTF8.GetString(Samples.Bytes(Samples.Transaction()).Span);
        Gen.Select(Gen.Int[0, TransactionStringFields.Length - 1], HostileText, Gen.Bool).Sample((field, text, asName) =>
        {
            var spoilt = Encoding.UTF8.GetBytes(Spoil(json, TransactionStringFields[field], text, asName));
            var result = TransactionReader.Read(spoilt, Samples.Context());
            if (!SaysNoPan(result.Problems) || !SaysNoPan(result.Warnings))
                return false;
            if (result.Record is not { } tx)
                return result.Problems.Count > 0;
            var written = JsonSerializer.SerializeToUtf8Bytes(tx, ContractsJsonContext.Default.Transaction);
            return PanScanner.FindPans(Encoding.UTF8.GetString(written)).Count == 0
                && TransactionReader.Read(written, Samples.Context()).Record == tx;
        }, iter: 3000);
    }

    [Fact]
    public void ReportsWithHostileTextAreReadOrRefusedNeverThrown()
    {
        var json = Encoding.UTF8.GetString(Samples.Bytes(Samples.FraudReport()).Span);
        Gen.Select(Gen.Int[0, ReportStringFields.Length], HostileText, Gen.Bool).Sample((field, text, asName) =>
        {
            // The last field number stands for an item of fraud_txn_ids.
            var spoilt = field == ReportStringFields.Length
                ? json.Replace("\"sbi-1002\"", $"\"{text}\"", StringComparison.Ordinal)
                : Spoil(json, ReportStringFields[field], text, asName);
            var result = FraudReportReader.Read(Encoding.UTF8.GetBytes(spoilt), Samples.Context());
            if (!SaysNoPan(result.Problems) || !SaysNoPan(result.Warnings))
                return false;
            if (result.Record is not { } report)
                return result.Problems.Count > 0;
            var written = JsonSerializer.SerializeToUtf8Bytes(report, ContractsJsonContext.Default.FraudReport);
            var again = FraudReportReader.Read(written, Samples.Context()).Record;
            return PanScanner.FindPans(Encoding.UTF8.GetString(written)).Count == 0
                && again is not null && again.ReportId == report.ReportId && again.FraudTxnIds!.SequenceEqual(report.FraudTxnIds!);
        }, iter: 3000);
    }
}
