using System.Text;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

/// <summary>
/// Input an attacker or a broken feed sends: escapes that are not text, repeated or unknown fields, byte order marks,
/// card numbers inside ids. Each gives a record or problems, never an exception, and no problem repeats a card number.
/// </summary>
public sealed class HostileInputTests
{
    private static string Transaction(string txnId = "sbi-1001", string terminalId = "ATM-MB-0001", string extra = "") =>
        "{\"schema_version\":1,\"txn_id\":\"" + txnId + "\",\"bank_id\":\"sbi\",\"card_token\":\"ct_abc\",\"terminal_id\":\"" + terminalId +
        "\",\"terminal_type\":\"atm\",\"timestamp\":\"2026-05-30T09:15:00Z\",\"amount_minor\":500000,\"currency\":\"INR\"," +
        "\"entry_mode\":\"chip\",\"txn_type\":\"withdrawal\",\"approved\":true,\"country\":\"IN\"" + extra + "}";

    private static string Report(string reportId = "fr-1", string fraudTxnId = "sbi-1001", string extra = "") =>
        "{\"schema_version\":1,\"report_id\":\"" + reportId + "\",\"bank_id\":\"sbi\",\"card_token\":\"ct_abc\"," +
        "\"reported_at\":\"2026-05-31T10:00:00Z\",\"fraud_type\":\"counterfeit\",\"fraud_txn_ids\":[\"" + fraudTxnId + "\"]" + extra + "}";

    private static RecordResult<Transaction> ReadTransaction(string json) => TransactionReader.Read(Encoding.UTF8.GetBytes(json), Samples.Context());

    private static RecordResult<FraudReport> ReadReport(string json) => FraudReportReader.Read(Encoding.UTF8.GetBytes(json), Samples.Context());

    public static TheoryData<string> LoneSurrogates() => ["kp-\\ud800", "\\udc00", "a\\udc00\\ud800b"];

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public void ALoneSurrogateInAnyStringFieldIsRejectedNamingTheField(string escaped)
    {
        foreach (var field in new[] { "txn_id", "bank_id", "card_token", "card_bin", "card_last4", "terminal_id", "terminal_type", "timestamp", "currency", "entry_mode", "txn_type", "country" })
        {
            var json = System.Text.RegularExpressions.Regex.Replace(Transaction(), $"\"{field}\":\"[^\"]*\"", $"\"{field}\":\"{escaped}\"");
            if (!json.Contains($"\"{field}\"", StringComparison.Ordinal))
                json = json.Replace("}", $",\"{field}\":\"{escaped}\"}}", StringComparison.Ordinal);

            var result = ReadTransaction(json);

            Assert.False(result.IsValid, field);
            Assert.Contains(result.Problems, p => p.Field == field && p.Code == ProblemCodes.BadFormat);
        }
        var report = ReadReport(Report(reportId: escaped));
        Assert.Contains(report.Problems, p => p.Field == "report_id" && p.Code == ProblemCodes.BadFormat);
        report = ReadReport(Report(fraudTxnId: escaped));
        Assert.Contains(report.Problems, p => p.Field == "fraud_txn_ids" && p.Code == ProblemCodes.BadFormat);
    }

    [Fact]
    public void ALoneSurrogateInAFieldNameRejectsTheRecord()
    {
        var result = ReadTransaction(Transaction(extra: ",\"x\\ud800\":1"));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(("$", ProblemCodes.BadFormat), (problem.Field, problem.Code));
        Assert.False(ReadReport(Report(extra: ",\"\\udfff\":1")).IsValid);
    }

    [Fact]
    public void AFieldSentTwiceIsRefusedOnEitherPath()
    {
        // The fast path would take one of the two values; both paths must refuse.
        var transaction = ReadTransaction(Transaction().Replace("\"txn_id\":\"sbi-1001\"", "\"txn_id\":\"a\",\"txn_id\":\"b\"", StringComparison.Ordinal));
        var report = ReadReport(Report(extra: ",\"report_id\":\"fr-2\""));

        Assert.Equal(("txn_id", ProblemCodes.DuplicateField), (transaction.Problems[0].Field, transaction.Problems[0].Code));
        Assert.Equal(("report_id", ProblemCodes.DuplicateField), (report.Problems[0].Field, report.Problems[0].Code));
    }

    [Fact]
    public void AnUnknownFieldIsAcceptedAndReportedAsAWarning()
    {
        var result = ReadTransaction(Transaction(extra: ",\"merchant_note\":\"hello\",\"4111111111111111\":true"));

        Assert.True(result.IsValid, result.Summary);
        Assert.Equal(["merchant_note", "$"], result.Warnings.Select(w => w.Field));
        Assert.All(result.Warnings, w => Assert.Equal(ProblemCodes.UnknownField, w.Code));
        Assert.DoesNotContain("4111", string.Join(' ', result.Warnings), StringComparison.Ordinal);
        Assert.Single(ReadReport(Report(extra: ",\"note\":1")).Warnings);
    }

    [Fact]
    public void AByteOrderMarkBeforeARecordIsSteppedOver()
    {
        Assert.True(ReadTransaction("\uFEFF" + Transaction()).IsValid);
        Assert.True(ReadReport("\uFEFF" + Report()).IsValid);
    }

    [Fact]
    public void NumbersOfAnySizeAreProblemsNotExceptions()
    {
        var result = ReadTransaction(Transaction(extra: ",\"lat\":1e400,\"lon\":-1e400"));

        Assert.Equal(["lat", "lon"], result.Problems.Select(p => p.Field));
        Assert.False(ReadTransaction(Transaction().Replace("500000", new string('9', 5000), StringComparison.Ordinal)).IsValid);
    }

    public static TheoryData<string> PansInIds() =>
    [
        "TX-4111111111111111", "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111",
        "ATM 5555555555554444", "ref 5500 0055 5555 5559 x", "\\u0034111111111111111", "340000000000009-01",
    ];

    [Theory]
    [MemberData(nameof(PansInIds))]
    public void ACardNumberInsideAnIdIsRefusedWithoutBeingRepeated(string id)
    {
        foreach (var result in new[] { ReadTransaction(Transaction(txnId: id)), ReadTransaction(Transaction(terminalId: id)) })
        {
            var problem = Assert.Single(result.Problems);
            Assert.Equal(ProblemCodes.NotAllowed, problem.Code);
            Assert.Empty(PanScanner.FindPans(problem.ToString()));
        }
        Assert.Equal(("report_id", ProblemCodes.NotAllowed), (ReadReport(Report(reportId: id)).Problems[0].Field, ReadReport(Report(reportId: id)).Problems[0].Code));
        Assert.Equal(("fraud_txn_ids", ProblemCodes.NotAllowed), (ReadReport(Report(fraudTxnId: id)).Problems[0].Field, ReadReport(Report(fraudTxnId: id)).Problems[0].Code));
    }

    [Theory]
    [InlineData("TX-4111111111111112")] // fails Luhn
    [InlineData("12345678901234567890")] // 20 digits: an order number, not a card
    [InlineData("sbi-2026-05-30-000123")] // a date and a counter: 14 digits in groups, failing Luhn
    [InlineData("ATM-MB-0042")]
    public void AnIdWithDigitsThatAreNoCardNumberIsAccepted(string id)
    {
        Assert.True(ReadTransaction(Transaction(txnId: id)).IsValid);
    }
}
