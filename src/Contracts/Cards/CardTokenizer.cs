using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SkimGuard.Contracts.Cards;

/// <summary>
/// Turns a PAN into a card token: HMAC-SHA256 of its digits under a deployment secret, URL-safe base64 with a
/// "ct_" prefix. The same PAN always gives the same token under one secret, so cards can be followed across
/// banks' feeds; without the secret the PAN cannot be recovered (PCI DSS: PAN unreadable wherever stored).
/// </summary>
public sealed class CardTokenizer
{
    /// <summary>The shortest secret accepted: 32 bytes, the HMAC-SHA256 block strength.</summary>
    public const int MinSecretBytes = 32;

    /// <summary>Every token starts with this, so a token is never mistaken for a card number.</summary>
    public const string Prefix = "ct_";

    private readonly byte[] _secret;

    /// <summary>Creates a tokeniser under a secret of at least <see cref="MinSecretBytes"/> bytes.</summary>
    public CardTokenizer(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinSecretBytes)
            throw new ArgumentException($"the card token secret must be at least {MinSecretBytes} bytes", nameof(secret));
        _secret = secret.ToArray();
    }

    /// <summary>Creates a tokeniser from a secret given as text (configuration), using its UTF-8 bytes.</summary>
    public static CardTokenizer FromSecretText(string secret) => new(Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// Tokenises a PAN of 12 to 19 digits (spaces and dashes between digit groups are allowed) that passes the Luhn
    /// check. On failure <paramref name="reason"/> says why, without repeating the number.
    /// </summary>
    public bool TryTokenize(ReadOnlySpan<char> pan, out TokenizedCard card, out string reason)
    {
        card = default;
        Span<char> digits = stackalloc char[19];
        var count = 0;
        foreach (var c in pan)
        {
            if (c is ' ' or '-')
                continue;
            if (!char.IsAsciiDigit(c))
            {
                reason = "must contain only digits (spaces and dashes allowed between groups)";
                return false;
            }
            if (count == digits.Length)
            {
                reason = "must be 12 to 19 digits";
                return false;
            }
            digits[count++] = c;
        }
        digits = digits[..count];
        if (count < 12)
        {
            reason = "must be 12 to 19 digits";
            return false;
        }
        if (!Luhn.IsValid(digits))
        {
            reason = "fails the Luhn check: a digit is mistyped";
            return false;
        }
        card = new TokenizedCard(TokenOf(digits), new string(digits[..6]), new string(digits[^4..]));
        reason = "";
        return true;
    }

    /// <summary>Tokenises a PAN, throwing if it is not one (for simulators and tests, whose PANs are made valid).</summary>
    public TokenizedCard Tokenize(ReadOnlySpan<char> pan) =>
        TryTokenize(pan, out var card, out var reason) ? card : throw new ArgumentException($"not a card number: {reason}", nameof(pan));

    private string TokenOf(ReadOnlySpan<char> digits)
    {
        Span<byte> ascii = stackalloc byte[digits.Length];
        for (var i = 0; i < digits.Length; i++)
            ascii[i] = (byte)digits[i];
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, ascii, mac);
        Span<byte> text = stackalloc byte[Prefix.Length + Base64Url.GetEncodedLength(mac.Length)];
        Encoding.ASCII.GetBytes(Prefix, text);
        var written = Base64Url.EncodeToUtf8(mac, text[Prefix.Length..]);
        return Encoding.ASCII.GetString(text[..(Prefix.Length + written)]);
    }
}
