using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Contracts.Tests;

/// <summary>The published JSON Schemas (schemas/*.json) and the records this code writes and reads must agree.</summary>
public sealed class SchemaAgreementTests
{
    private static JsonSchema Load(string name) =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", name)));

    public static TheoryData<string, string> WrittenRecords() => new()
    {
        { "transaction.v1.schema.json", JsonSerializer.Serialize(JsonRoundTripTests.SampleTransaction(), ContractsJsonContext.Default.Transaction) },
        { "fraud-report.v1.schema.json", JsonSerializer.Serialize(JsonRoundTripTests.SampleReport(), ContractsJsonContext.Default.FraudReport) },
        { "atm-alert.v1.schema.json", JsonSerializer.Serialize(JsonRoundTripTests.SampleAlert(), ContractsJsonContext.Default.AtmAlert) },
        { "cards-at-risk.v1.schema.json", JsonSerializer.Serialize(JsonRoundTripTests.SampleCardsAtRisk(), ContractsJsonContext.Default.CardsAtRisk) },
    };

    [Theory]
    [MemberData(nameof(WrittenRecords))]
    public void EveryRecordWeWritePassesItsSchema(string schema, string json)
    {
        var result = Load(schema).Evaluate(JsonNode.Parse(json), new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

        Assert.True(result.IsValid, string.Join("; ", result.Details.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Theory]
    [MemberData(nameof(WrittenRecords))]
    public void TheSchemaNamesExactlyTheFieldsWeWrite(string schema, string json)
    {
        var properties = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", schema)))!["properties"]!.AsObject();

        // The samples fill every optional field, so the written names are all the contract's names.
        var written = JsonNode.Parse(json)!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal);

        Assert.Equal(properties.Select(p => p.Key).Order(StringComparer.Ordinal), written);
    }

    [Theory]
    [InlineData("txn_id")]
    [InlineData("amount_minor")]
    [InlineData("timestamp")]
    [InlineData("approved")]
    public void RecordsTheReaderRefusesForAMissingFieldTheSchemaRefusesToo(string field)
    {
        var record = Samples.Transaction().Without(field);

        Assert.False(Load("transaction.v1.schema.json").Evaluate(record).IsValid);
    }

    [Theory]
    [InlineData("terminal_type", "kiosk")]
    [InlineData("currency", "inr")]
    [InlineData("country", "IND")]
    [InlineData("card_last4", "123")]
    public void RecordsTheReaderRefusesForABadValueTheSchemaRefusesToo(string field, string value)
    {
        var record = Samples.Transaction().With(field, value);

        Assert.False(Load("transaction.v1.schema.json").Evaluate(record).IsValid);
    }
}
