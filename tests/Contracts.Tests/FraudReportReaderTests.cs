using System.Text.Json.Nodes;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

public sealed class FraudReportReaderTests
{
    [Fact]
    public void AValidReportIsRead()
    {
        var result = FraudReportReader.Read(Samples.Bytes(Samples.FraudReport()), Samples.Context());

        Assert.True(result.IsValid, result.Summary);
        Assert.Equal(FraudType.Counterfeit, result.Record!.FraudType);
        Assert.Equal(["sbi-1001", "sbi-1002"], result.Record.FraudTxnIds);
    }

    public static TheoryData<string, JsonNode?, string> BadValues() => new()
    {
        { "report_id", "", ProblemCodes.Missing },
        { "report_id", new string('r', 65), ProblemCodes.TooLong },
        { "card_token", null, ProblemCodes.Missing },
        { "reported_at", "31/05/2026", ProblemCodes.BadFormat },
        { "reported_at", "2030-01-01T00:00:00Z", ProblemCodes.OutOfRange },
        { "fraud_type", "skimming", ProblemCodes.UnknownValue },
        { "first_fraud_at", "2026-05-31T10:00:01Z", ProblemCodes.OutOfRange },
        { "first_fraud_at", "1990-01-01T00:00:00Z", ProblemCodes.OutOfRange },
        { "fraud_txn_ids", "sbi-1001", ProblemCodes.WrongType },
        { "fraud_txn_ids", new JsonArray(1, 2), ProblemCodes.BadFormat },
        { "fraud_txn_ids", new JsonArray([.. Enumerable.Range(0, 1001).Select(i => (JsonNode)$"t{i}")]), ProblemCodes.TooLong },
        { "schema_version", 0, ProblemCodes.UnsupportedVersion },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void EachBadValueIsRejectedNamingItsField(string field, JsonNode? value, string code)
    {
        var result = FraudReportReader.Read(Samples.Bytes(Samples.FraudReport().With(field, value?.DeepClone())), Samples.Context());

        var problem = Assert.Single(result.Problems);
        Assert.Equal((field, code), (problem.Field, problem.Code));
    }

    [Fact]
    public void FirstFraudAtAndTxnIdsAreOptional()
    {
        var record = Samples.FraudReport().Without("first_fraud_at").Without("fraud_txn_ids");

        Assert.True(FraudReportReader.Read(Samples.Bytes(record), Samples.Context()).IsValid);
    }
}
