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
        // Exactly one of the ten digits completes a valid number; trying them keeps one implementation of the check.
        Span<char> number = stackalloc char[payload.Length + 1];
        payload.CopyTo(number);
        for (var digit = '0'; digit <= '9'; digit++)
        {
            number[^1] = digit;
            if (IsValid(number))
                return digit;
        }
        throw new ArgumentException("the payload must be digits", nameof(payload));
    }
}
