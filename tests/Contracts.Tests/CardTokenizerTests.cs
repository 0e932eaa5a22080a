using System.Text;
using SkimGuard.Contracts.Cards;

namespace SkimGuard.Contracts.Tests;

public sealed class CardTokenizerTests
{
    private static readonly CardTokenizer Tokenizer = CardTokenizer.FromSecretText("a deployment secret of at least 32 bytes!");

    [Fact]
    public void TheSamePanAlwaysGivesTheSameToken()
    {
        Assert.Equal(Tokenizer.Tokenize("4111111111111111").Token, Tokenizer.Tokenize("4111-1111-1111-1111").Token);
    }

    [Fact]
    public void TheTokenIsHmacSha256OfTheDigitsInUrlSafeBase64()
    {
        var secret = Encoding.UTF8.GetBytes("a deployment secret of at least 32 bytes!");
        var mac = System.Security.Cryptography.HMACSHA256.HashData(secret, "4111111111111111"u8);
        var expected = "ct_" + Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var token = Tokenizer.Tokenize("4111111111111111").Token;

        Assert.Equal(expected, token);
        Assert.Matches("^ct_[A-Za-z0-9_-]{43}$", token);
    }

    [Fact]
    public void AnotherSecretGivesAnotherToken()
    {
        var other = CardTokenizer.FromSecretText("another deployment secret, 32 bytes or more");

        Assert.NotEqual(Tokenizer.Tokenize("4111111111111111").Token, other.Tokenize("4111111111111111").Token);
    }

    [Fact]
    public void BinAndLastFourAreKept()
    {
        var card = Tokenizer.Tokenize("5500005555555559");

        Assert.Equal(("550000", "5559"), (card.Bin, card.Last4));
    }

    [Theory]
    [InlineData("4111111111111112", "Luhn")]
    [InlineData("41111111111", "12 to 19 digits")]
    [InlineData("41111111111111111111", "12 to 19 digits")]
    [InlineData("4111x11111111111", "only digits")]
    public void NonCardNumbersAreRefusedWithAReason(string pan, string reasonPart)
    {
        Assert.False(Tokenizer.TryTokenize(pan, out _, out var reason));
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AShortSecretIsRefused()
    {
        Assert.Throws<ArgumentException>(() => CardTokenizer.FromSecretText("short"));
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("79927398713", false)] // passes Luhn but too short for a PAN
    [InlineData("4111111111111112", false)]
    [InlineData("ct_4111111111111111", true)]
    [InlineData("4111 1111 1111 1111", true)]
    [InlineData("4111-1111-1111-1111", true)]
    [InlineData("4111.1111.1111.1111", true)]
    [InlineData("4111  1111 - 1111 1111", true)]
    [InlineData("41111111111111110", false)] // a PAN glued to another digit is a 17-digit run failing Luhn
    [InlineData("4111/1111/1111/1111", false)] // slashes part groups that are each too short
    [InlineData("2026-05-30T09:15:00Z", false)]
    public void ContainsPanFindsCardNumbersInAnyCommonWriting(string value, bool expected)
    {
        Assert.Equal(expected, PanScanner.ContainsPan(value));
    }

    [Fact]
    public void FindPansFindsACardNumberInText()
    {
        Assert.Equal(["4111111111111111"], PanScanner.FindPans("paid with 4111111111111111 at 10:00; ref 12345"));
    }

    [Fact]
    public void MaskPansHidesCardNumbersAndKeepsEveryOtherByte()
    {
        var masked = PanScanner.MaskPans("{\"pan\":\"4111111111111111\",\"txn_id\":\"4111111111111112\",\"amount\":12345}"u8);

        // The Luhn-valid run is masked; a same-length id that fails Luhn and a short number are kept as sent.
        Assert.Equal("{\"pan\":\"****************\",\"txn_id\":\"4111111111111112\",\"amount\":12345}", System.Text.Encoding.UTF8.GetString(masked));
    }

    [Fact]
    public void MaskPansHidesGroupedAndEscapedCardNumbers()
    {
        var masked = PanScanner.MaskPans("{\"id\":\"ATM 4111 1111-1111.1111\",\"x\":\"\\u0034111111111111111\",\"t\":\"2026-05-30\"}"u8);

        Assert.Equal("{\"id\":\"ATM **** ****-****.****\",\"x\":\"*********************\",\"t\":\"2026-05-30\"}", System.Text.Encoding.UTF8.GetString(masked));
    }

    [Fact]
    public void LuhnCheckDigitCompletesAValidNumber()
    {
        Assert.Equal('1', Luhn.CheckDigit("411111111111111"));
        Assert.True(Luhn.IsValid("79927398713"));
    }
}
