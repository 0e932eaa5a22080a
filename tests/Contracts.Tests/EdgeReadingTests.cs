using Microsoft.Extensions.Time.Testing;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

/// <summary>Reading at the banks' edge: the bank comes from the credentials, a PAN is tokenised on arrival.</summary>
public sealed class EdgeReadingTests
{
    private static readonly CardTokenizer Tokenizer = new(new byte[32]);

    private static ReadContext Edge(string bank) => new()
    {
        Clock = new FakeTimeProvider(Samples.Now),
        AuthenticatedBankId = bank,
        Tokenizer = Tokenizer,
    };

    [Fact]
    public void TheAuthenticatedBankFillsAnAbsentBankId()
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction().Without("bank_id")), Edge("hdfc"));

        Assert.Equal("hdfc", result.Record!.BankId);
    }

    [Fact]
    public void ARecordNamingAnotherBankIsRejected()
    {
        var result = TransactionReader.Read(Samples.Bytes(Samples.Transaction().With("bank_id", "sbi")), Edge("hdfc"));

        var problem = Assert.Single(result.Problems);
        Assert.Equal(("bank_id", ProblemCodes.NotAllowed), (problem.Field, problem.Code));
    }

    [Fact]
    public void APanIsTokenisedAndOnlyBinAndLastFourAreKept()
    {
        var record = Samples.Transaction().Without("card_token").Without("card_bin").Without("card_last4").With("pan", "4111 1111 1111 1111");

        var tx = TransactionReader.Read(Samples.Bytes(record), Edge("sbi")).Record!;

        Assert.Equal(Tokenizer.Tokenize("4111111111111111").Token, tx.CardToken);
        Assert.Equal("411111", tx.CardBin);
        Assert.Equal("1111", tx.CardLast4);
        Assert.DoesNotContain("4111111111111111", System.Text.Json.JsonSerializer.Serialize(tx, Json.ContractsJsonContext.Default.Transaction), StringComparison.Ordinal);
    }

    [Fact]
    public void APanFailingLuhnIsRejectedWithoutBeingRepeated()
    {
        var record = Samples.Transaction().Without("card_token").With("pan", "4111111111111112");

        var problem = Assert.Single(TransactionReader.Read(Samples.Bytes(record), Edge("sbi")).Problems);

        Assert.Equal(("pan", ProblemCodes.BadFormat), (problem.Field, problem.Code));
        Assert.DoesNotContain("4111", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void APanPastTheEdgeIsRefused()
    {
        var record = Samples.Transaction().Without("card_token").With("pan", "4111111111111111");

        var problem = Assert.Single(TransactionReader.Read(Samples.Bytes(record), Samples.Context()).Problems);

        Assert.Equal(("pan", ProblemCodes.NotAllowed), (problem.Field, problem.Code));
    }

    [Fact]
    public void PanAndTokenTogetherAreAmbiguous()
    {
        var record = Samples.Transaction().With("pan", "4111111111111111");

        var problem = Assert.Single(TransactionReader.Read(Samples.Bytes(record), Edge("sbi")).Problems);

        Assert.Equal(("card_token", ProblemCodes.NotAllowed), (problem.Field, problem.Code));
    }

    [Fact]
    public void OnInternalTopicsBankIdIsRequired()
    {
        var problem = Assert.Single(TransactionReader.Read(Samples.Bytes(Samples.Transaction().Without("bank_id")), Samples.Context()).Problems);

        Assert.Equal(("bank_id", ProblemCodes.Missing), (problem.Field, problem.Code));
    }
}
