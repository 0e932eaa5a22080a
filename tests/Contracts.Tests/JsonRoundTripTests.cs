using System.Text;
using System.Text.Json;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

public sealed class JsonRoundTripTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 5, 30, 9, 15, 0, TimeSpan.Zero);

    internal static Transaction SampleTransaction() => new()
    {
        TxnId = "sbi-1", BankId = "sbi", CardToken = "ct_x", CardBin = "459150", CardLast4 = "1234",
        TerminalId = "ATM-MB-0001", TerminalType = TerminalType.Atm, Timestamp = T0, AmountMinor = 1_000_000,
        Currency = "INR", EntryMode = EntryMode.Fallback, TxnType = TxnType.BalanceInquiry, Approved = false,
        Country = "IN", Lat = 19.30123, Lon = 72.85,
    };

    internal static FraudReport SampleReport() => new()
    {
        ReportId = "fr-1", BankId = "sbi", CardToken = "ct_x", ReportedAt = T0.AddDays(1.5), FraudType = FraudType.CardNotPresent,
        FirstFraudAt = T0.AddDays(1), FraudTxnIds = ["sbi-9"],
    };

    internal static AtmAlert SampleAlert() => new()
    {
        AlertId = "alert-ATM-MB-0001", TerminalId = "ATM-MB-0001", TerminalType = TerminalType.Atm,
        Location = new TerminalLocation { Name = "SBI ATM, Station Road", Locality = "Bhayander West", BankId = "sbi", Lat = 19.3, Lon = 72.85 },
        Status = AlertStatus.Withdrawn, ExplainedBy = ["ATM-MB-0002"], Score = 9.2, PValue = 6e-10, CompromisedCards = 11.5, ExposedCards = 240, Expected = 0.8,
        WindowFrom = T0, WindowTo = T0.AddDays(5), CardsAtRisk = 180, FirstFlaggedAt = T0.AddDays(20), UpdatedAt = T0.AddDays(21),
        ModelVersion = "none",
        Evidence = [new CompromiseEvidence
        {
            CardToken = "ct_x", BankId = "sbi", VisitedAt = T0.AddHours(3), Signal = "fraud_report", FraudType = FraudType.Counterfeit,
            Weight = 1, FirstFraudAt = T0.AddDays(15), CashoutTerminalId = "ATM-BKK-001", CashoutCountry = "TH", CashoutLat = 13.7, CashoutLon = 100.5,
        }],
    };

    internal static CardsAtRisk SampleCardsAtRisk() => new()
    {
        AlertId = "alert-ATM-MB-0001", TerminalId = "ATM-MB-0001", BankId = "sbi", IssuedAt = T0.AddDays(20),
        WindowFrom = T0, WindowTo = T0.AddDays(5), CardTokens = ["ct_a", "ct_b"],
    };

    [Fact]
    public void ATransactionSurvivesARoundTripAndTheValidatingReader()
    {
        var original = SampleTransaction();
        var json = JsonSerializer.SerializeToUtf8Bytes(original, ContractsJsonContext.Default.Transaction);

        Assert.Equal(original, JsonSerializer.Deserialize(json, ContractsJsonContext.Default.Transaction));
        Assert.Equal(original, TransactionReader.Read(json, Samples.Context()).Record);
    }

    [Fact]
    public void AFraudReportSurvivesARoundTripAndTheValidatingReader()
    {
        var original = SampleReport();
        var json = JsonSerializer.SerializeToUtf8Bytes(original, ContractsJsonContext.Default.FraudReport);

        var back = JsonSerializer.Deserialize(json, ContractsJsonContext.Default.FraudReport)!;
        var read = FraudReportReader.Read(json, Samples.Context()).Record!;

        Assert.Equal(original.FraudTxnIds, back.FraudTxnIds);
        Assert.Equal(original with { FraudTxnIds = null }, back with { FraudTxnIds = null });
        Assert.Equal(original with { FraudTxnIds = null }, read with { FraudTxnIds = null });
    }

    [Fact]
    public void AnAlertSurvivesARoundTrip()
    {
        var original = SampleAlert();
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(original, ContractsJsonContext.Default.AtmAlert), ContractsJsonContext.Default.AtmAlert)!;

        Assert.Equal(original.Evidence.Single(), back.Evidence.Single());
        Assert.Equal(original.ExplainedBy, back.ExplainedBy);
        Assert.Equal(original with { Evidence = [], ExplainedBy = null }, back with { Evidence = [], ExplainedBy = null });
    }

    [Fact]
    public void CardsAtRiskSurviveARoundTrip()
    {
        var original = SampleCardsAtRisk();
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(original, ContractsJsonContext.Default.CardsAtRisk), ContractsJsonContext.Default.CardsAtRisk)!;

        Assert.Equal(original.CardTokens, back.CardTokens);
        Assert.Equal(original with { CardTokens = [] }, back with { CardTokens = [] });
    }

    [Fact]
    public void TheWireFormatIsSnakeCaseWithLowerCaseWordsAndUtcTimestamps()
    {
        var json = JsonSerializer.Serialize(SampleTransaction(), ContractsJsonContext.Default.Transaction);

        Assert.Contains("\"txn_type\":\"balance_inquiry\"", json, StringComparison.Ordinal);
        Assert.Contains("\"entry_mode\":\"fallback\"", json, StringComparison.Ordinal);
        Assert.Contains("\"timestamp\":\"2026-05-30T09:15:00Z\"", json, StringComparison.Ordinal);
        Assert.Contains("\"schema_version\":1", json, StringComparison.Ordinal);
        Assert.DoesNotContain("is_card_present", json, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsentOptionalFieldsAreLeftOut()
    {
        var json = JsonSerializer.Serialize(SampleTransaction() with { Lat = null, Lon = null, CardBin = null }, ContractsJsonContext.Default.Transaction);

        Assert.DoesNotContain("lat", json, StringComparison.Ordinal);
        Assert.DoesNotContain("card_bin", json, StringComparison.Ordinal);
    }

    [Fact]
    public void SubSecondTimestampsKeepTheirFraction()
    {
        var precise = T0.AddTicks(1_234_567);
        var json = JsonSerializer.Serialize(SampleTransaction() with { Timestamp = precise }, ContractsJsonContext.Default.Transaction);

        Assert.Contains("09:15:00.1234567Z", json, StringComparison.Ordinal);
        Assert.Equal(precise, TransactionReader.Read(Encoding.UTF8.GetBytes(json), Samples.Context()).Record!.Timestamp);
    }

    [Fact]
    public void WireNamesCoverEveryEnumValue()
    {
        Assert.Equal(Enum.GetValues<EntryMode>().Length, WireNames.Of<EntryMode>().Count);
        Assert.Equal(EntryMode.Contactless, WireNames.Of<EntryMode>()["contactless"]);
        Assert.Equal("lost_stolen", WireNames.NameOf(FraudType.LostStolen));
    }
}
