namespace SkimGuard.Contracts.Cards;

/// <summary>The Luhn (mod 10) check digit that every payment card number carries.</summary>
public static class Luhn
{
    /// <summary>True when the digits pass the Luhn check. Every character must be an ASCII digit.</summary>
    public static bool IsValid(ReadOnlySpan<char> digits)
    {
        if (digits.IsEmpty)
            return false;
        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if ((uint)d > 9)
                return false;
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                    d -= 9;
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /// <summary>The check digit that makes <paramref name="payload"/> followed by it pass the check.</summary>
    public static char CheckDigit(ReadOnlySpan<char> payload)
    {
        var sum = 0;
        var doubled = true; // the check digit will take the rightmost place, so the last payload digit is doubled
        for (var i = payload.Length - 1; i >= 0; i--)
        {
            var d = payload[i] - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                    d -= 9;
            }
            sum += d;
            doubled = !doubled;
        }
        return (char)('0' + (10 - sum % 10) % 10);
    }
}
