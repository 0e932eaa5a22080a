using System.Text;
using System.Text.Json.Nodes;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

public sealed class TransactionReaderTests
{
    [Fact]
    public void AValidTransactionIsReadWithEveryField()
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction()), Samples.Context());

        Assert.True(result.IsValid, result.Summary);
        var tx = result.Record!;
        Assert.Equal("sbi-1001", tx.TxnId);
        Assert.Equal(TerminalType.Atm, tx.TerminalType);
        Assert.Equal(new DateTimeOffset(2026, 5, 30, 9, 15, 0, TimeSpan.Zero), tx.Timestamp);
        Assert.Equal(500000, tx.AmountMinor);
        Assert.Equal(EntryMode.Chip, tx.EntryMode);
        Assert.Equal(TxnType.Withdrawal, tx.TxnType);
        Assert.Equal(19.3, tx.Lat);
        Assert.True(tx.IsCardPresent);
    }

    public static TheoryData<string, JsonNode?, string> BadValues() => new()
    {
        // field, bad value, expected code
        { "schema_version", 2, ProblemCodes.UnsupportedVersion },
        { "schema_version", "1", ProblemCodes.WrongType },
        { "txn_id", null, ProblemCodes.Missing },
        { "txn_id", "", ProblemCodes.Missing },
        { "txn_id", 42, ProblemCodes.WrongType },
        { "txn_id", new string('x', 65), ProblemCodes.TooLong },
        { "txn_id", "abc\u0001def", ProblemCodes.ControlCharacters },
        { "bank_id", "sb\ni", ProblemCodes.ControlCharacters },
        { "card_token", new string('t', 129), ProblemCodes.TooLong },
        { "card_token", "4111111111111111", ProblemCodes.NotAllowed },
        { "card_token", "4111 1111 1111 1111", ProblemCodes.NotAllowed },
        { "card_bin", "45915", ProblemCodes.BadFormat },
        { "card_bin", "45915x", ProblemCodes.BadFormat },
        { "card_last4", "12345", ProblemCodes.BadFormat },
        { "terminal_id", new JsonObject(), ProblemCodes.WrongType },
        { "terminal_type", "kiosk", ProblemCodes.UnknownValue },
        { "terminal_type", "ATM", ProblemCodes.UnknownValue },
        { "timestamp", "yesterday", ProblemCodes.BadFormat },
        { "timestamp", "2026-05-30T09:15:00", ProblemCodes.BadFormat },
        { "timestamp", "2026-05-30", ProblemCodes.BadFormat },
        { "timestamp", "1999-12-31T23:59:59Z", ProblemCodes.OutOfRange },
        { "timestamp", "2026-06-02T12:00:00Z", ProblemCodes.OutOfRange },
        { "timestamp", 1717236000, ProblemCodes.WrongType },
        { "amount_minor", -1, ProblemCodes.OutOfRange },
        { "amount_minor", 10_000_000_001, ProblemCodes.OutOfRange },
        { "amount_minor", 12.5, ProblemCodes.WrongType },
        { "amount_minor", "500", ProblemCodes.WrongType },
        { "amount_minor", JsonNode.Parse("123456789012345678901234567890"), ProblemCodes.WrongType },
        { "currency", "inr", ProblemCodes.UnknownValue },
        { "currency", "XYZ", ProblemCodes.UnknownValue },
        { "entry_mode", "swipe", ProblemCodes.UnknownValue },
        { "txn_type", "deposit", ProblemCodes.UnknownValue },
        { "approved", "yes", ProblemCodes.WrongType },
        { "approved", null, ProblemCodes.Missing },
        { "country", "IND", ProblemCodes.UnknownValue },
        { "country", "XX", ProblemCodes.UnknownValue },
        { "lat", 91, ProblemCodes.OutOfRange },
        { "lat", -90.5, ProblemCodes.OutOfRange },
        { "lon", 180.01, ProblemCodes.OutOfRange },
        { "lon", "72.8", ProblemCodes.WrongType },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void EachBadValueIsRejectedNamingItsFieldAndReason(string field, JsonNode? value, string code)
    {
        var record = Samples.Transaction().With(field, value?.DeepClone());

        var result = TransactionReader.Read(Samples.Bytes(record), Samples.Context());

        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(field, problem.Field);
        Assert.Equal(code, problem.Code);
        Assert.False(string.IsNullOrWhiteSpace(problem.Reason));
    }

    [Theory]
    [InlineData("txn_id")]
    [InlineData("bank_id")]
    [InlineData("card_token")]
    [InlineData("terminal_id")]
    [InlineData("terminal_type")]
    [InlineData("timestamp")]
    [InlineData("amount_minor")]
    [InlineData("currency")]
    [InlineData("entry_mode")]
    [InlineData("txn_type")]
    [InlineData("approved")]
    [InlineData("country")]
    [InlineData("schema_version")]
    public void AMissingRequiredFieldIsNamed(string field)
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction().Without(field)), Samples.Context());

        var problem = Assert.Single(result.Problems);
        Assert.Equal(field, problem.Field);
        Assert.Equal("missing", problem.ValueClass);
        Assert.Equal(ProblemCodes.Missing, problem.Code);
    }

    [Fact]
    public void EveryProblemOfARecordIsReportedNotOnlyTheFirst()
    {
        var record = Samples.Transaction()
            .With("amount_minor", -5)
            .With("currency", "rupees")
            .With("terminal_type", "kiosk")
            .Without("timestamp");

        var result = TransactionReader.Read(Samples.Bytes(record), Samples.Context());

        Assert.Equal(["amount_minor", "currency", "terminal_type", "timestamp"], result.Problems.Select(p => p.Field).Order());
    }

    [Fact]
    public void ValueClassSaysWhatKindOfValueWasFound()
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction().With("amount_minor", "500")), Samples.Context());

        Assert.Equal("string", Assert.Single(result.Problems).ValueClass);
    }

    [Fact]
    public void LatWithoutLonIsRejected()
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction().Without("lon")), Samples.Context());

        Assert.Equal("lon", Assert.Single(result.Problems).Field);
    }

    [Fact]
    public void LocationIsOptional()
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction().Without("lat").Without("lon")), Samples.Context());

        Assert.True(result.IsValid, result.Summary);
        Assert.Null(result.Record!.Lat);
    }

    [Fact]
    public void AnOffsetTimestampIsNormalisedToUtc()
    {
        var record = Samples.Transaction().With("timestamp", "2026-05-30T14:45:00+05:30");

        var result = TransactionReader.Read(Samples.Bytes(record), Samples.Context());

        Assert.Equal(new DateTimeOffset(2026, 5, 30, 9, 15, 0, TimeSpan.Zero), result.Record!.Timestamp);
        Assert.Equal(TimeSpan.Zero, result.Record.Timestamp.Offset);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"txn_id\": ")]
    [InlineData("[1,2,3]")]
    [InlineData("\"a string\"")]
    [InlineData("")]
    public void BytesThatAreNotAJsonObjectGetOneProblemForTheWholeRecord(string text)
    {
        var result = TransactionReader.Read(Encoding.UTF8.GetBytes(text), Samples.Context());

        var problem = Assert.Single(result.Problems);
        Assert.Equal("$", problem.Field);
        Assert.Equal(ProblemCodes.InvalidJson, problem.Code);
    }

    [Fact]
    public void InvalidUtf8IsRejectedNotThrown()
    {
        byte[] bytes = [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'];

        var result = TransactionReader.Read(bytes, Samples.Context());

        Assert.Equal(ProblemCodes.InvalidJson, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void DeeplyNestedJsonIsRejectedNotThrown()
    {
        var text = "{\"a\":" + string.Concat(Enumerable.Repeat("[", 10_000)) + string.Concat(Enumerable.Repeat("]", 10_000)) + "}";

        var result = TransactionReader.Read(Encoding.UTF8.GetBytes(text), Samples.Context());

        Assert.Equal(ProblemCodes.InvalidJson, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void AProblemNeverEchoesTheValue()
    {
        var record = Samples.Transaction().With("card_token", "4111111111111111").With("currency", "SECRET-VALUE");

        var result = TransactionReader.Read(Samples.Bytes(record), Samples.Context());

        Assert.DoesNotContain(result.Problems, p => p.Reason.Contains("4111", StringComparison.Ordinal) || p.Reason.Contains("SECRET", StringComparison.Ordinal));
    }
}

/// <summary>The fast path (typed deserialisation plus rules) and the thorough path must accept exactly the same records.</summary>
public sealed class ReaderPathAgreementTests
{
    public static TheoryData<string, JsonNode?> Cases()
    {
        var cases = new TheoryData<string, JsonNode?>();
        foreach (var row in TransactionReaderTests.BadValues())
            cases.Add(row.Data.Item1, row.Data.Item2);
        cases.Add("extra_field", "ignored by the thorough path, refused by the fast one");
        cases.Add("lat", 19.3);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BothPathsAgreeOnEveryTransaction(string field, JsonNode? value)
    {
        var bytes = Samples.Bytes(Samples.Transaction().With(field, value?.DeepClone()));
        var context = Samples.Context();

        var thorough = TransactionReader.ReadThoroughly(bytes, context);
        var fast = TypedCheck.TryDeserialize(bytes, Json.ContractsJsonContext.Default.Transaction) is { } tx && TypedCheck.IsValid(tx, context);

        // The fast path may send a valid record on to the thorough one (an unknown field), never accept an invalid one.
        Assert.True(!fast || thorough.IsValid, thorough.Summary);
        Assert.Equal(thorough.Record, TransactionReader.Read(bytes, context).Record);
    }

    [Fact]
    public void TheFastPathAcceptsAPlainValidRecord()
    {
        var bytes = Samples.Bytes(Samples.Transaction());

        Assert.True(TypedCheck.TryDeserialize(bytes, Json.ContractsJsonContext.Default.Transaction) is { } tx && TypedCheck.IsValid(tx, Samples.Context()));
    }
}

public sealed class InvalidJsonMessageTests
{
    [Fact]
    public void AJsonErrorGivesThePositionButNeverQuotesTheInput()
    {
        var result = TransactionReader.Read(System.Text.Encoding.UTF8.GetBytes("{\"pan\": 4111111111111111x}"), Samples.Context());

        var problem = Assert.Single(result.Problems);
        Assert.Equal(ProblemCodes.InvalidJson, problem.Code);
        Assert.Contains("byte", problem.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("411", problem.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("'", problem.Reason, StringComparison.Ordinal);
    }
}
