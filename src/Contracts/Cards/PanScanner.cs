namespace SkimGuard.Contracts.Cards;

/// <summary>
/// Recognises card numbers: 13 to 19 digits that pass the Luhn check. Used to refuse a card_token that is really
/// a PAN, and by the scan tests that prove no PAN reaches a file, topic or log.
/// </summary>
public static class PanScanner
{
    /// <summary>
    /// True when the whole value is a card number, digits alone or in groups split by spaces or dashes. Only
    /// whole values are judged: one in ten random digit strings passes Luhn, so a numeric transaction id must
    /// not be refused for containing a PAN-shaped run.
    /// </summary>
    public static bool LooksLikePan(ReadOnlySpan<char> value)
    {
        Span<char> digits = stackalloc char[19];
        var count = 0;
        foreach (var c in value)
        {
            if (c is ' ' or '-')
                continue;
            if (!char.IsAsciiDigit(c) || count == digits.Length)
                return false;
            digits[count++] = c;
        }
        return count >= 13 && Luhn.IsValid(digits[..count]);
    }

    /// <summary>Every maximal run of 13 to 19 digits in the text that passes the Luhn check.</summary>
    public static IEnumerable<string> FindPans(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                i++;
                continue;
            }
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
                i++;
            var length = i - start;
            if (length is >= 13 and <= 19 && Luhn.IsValid(text.AsSpan(start, length)))
                yield return text.Substring(start, length);
        }
    }

    /// <summary>
    /// A copy of UTF-8 bytes with every run of 13 to 19 digits that passes the Luhn check replaced by asterisks:
    /// what a rejected record keeps of its original bytes, so that a PAN sent where it must not be is not passed on.
    /// </summary>
    public static byte[] MaskPans(ReadOnlySpan<byte> utf8)
    {
        var copy = utf8.ToArray();
        Span<char> digits = stackalloc char[19];
        var i = 0;
        while (i < copy.Length)
        {
            if (!char.IsAsciiDigit((char)copy[i]))
            {
                i++;
                continue;
            }
            var start = i;
            while (i < copy.Length && char.IsAsciiDigit((char)copy[i]))
                i++;
            var length = i - start;
            if (length is < 13 or > 19)
                continue;
            for (var j = 0; j < length; j++)
                digits[j] = (char)copy[start + j];
            if (Luhn.IsValid(digits[..length]))
                copy.AsSpan(start, length).Fill((byte)'*');
        }
        return copy;
    }
}
