using System.Buffers;
using System.Text;

namespace SkimGuard.Contracts.Cards;

/// <summary>
/// Finds card numbers written any common way: 13 to 19 digits that pass the Luhn check, alone or inside other text,
/// as one run or in groups split by spaces, dashes or dots ("4111 1111 1111 1111", "TX-4111111111111111",
/// "4111.1111.1111.1111"). In raw JSON bytes a \u0030-\u0039 escape counts as the digit it stands for, and
/// \u0020, \u002d and \u002e as separators, so an escaped PAN is found too.
/// <para>
/// A card number is made of whole groups: a maximal run of digits longer than 19 is not one, and neither is part of
/// a group ("12345678901234567890" is an order number, not a card). Every consecutive sequence of groups with 13 to
/// 19 digits in all is checked.
/// </para>
/// </summary>
public static class PanScanner
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    /// <summary>True when the text holds a card number anywhere, in any of the writings above.</summary>
    public static bool ContainsPan(ReadOnlySpan<char> text)
    {
        // The common case, an id with few digits, is decided without looking further.
        if (CountDigits(text) < MinDigits)
            return false;
        var length = Encoding.UTF8.GetByteCount(text);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var utf8 = rented.AsSpan(0, Encoding.UTF8.GetBytes(text, rented));
            // Either reading: the value may be shown as it is (in a log) or inside JSON, and neither may show a PAN.
            return Scan(utf8, jsonEscapes: false, mask: [], found: null) > 0 || Scan(utf8, jsonEscapes: true, mask: [], found: null) > 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Every card number in the text, as its digits alone; the text is read as JSON may be (escapes decoded).</summary>
    public static List<string> FindPans(string text)
    {
        var found = new List<string>();
        if (CountDigits(text) >= MinDigits)
            Scan(Encoding.UTF8.GetBytes(text), jsonEscapes: true, mask: [], found);
        return found;
    }

    /// <summary>
    /// A copy of UTF-8 bytes with every digit of every card number (in any writing above) replaced by an asterisk:
    /// what a rejected record keeps of its original bytes, so that a PAN sent where it must not be is not passed on.
    /// An escaped digit becomes six asterisks, so every other byte keeps its place.
    /// </summary>
    public static byte[] MaskPans(ReadOnlySpan<byte> utf8)
    {
        var copy = utf8.ToArray();
        Scan(utf8, jsonEscapes: true, copy, found: null);
        Scan(utf8, jsonEscapes: false, copy, found: null); // the bytes need not be JSON: mask what a plain reading finds too
        return copy;
    }

    private static int CountDigits(ReadOnlySpan<char> text)
    {
        var count = 0;
        foreach (var c in text)
            if (char.IsAsciiDigit(c) || c == '\\') // a backslash may start an escaped digit
                count++;
        return count;
    }

    /// <summary>
    /// Walks the text's chains (digit groups joined by separators), checks every sequence of whole groups in each, and
    /// masks (when <paramref name="mask"/> is not empty) or collects each card number. Returns how many it found.
    /// With <paramref name="jsonEscapes"/> the text is raw JSON (or may hold some): a JSON escape is read as the
    /// character it stands for, and a backslash that starts none is a character of its own. Without, every byte is what
    /// it is. A value written as JSON reads the same with escapes as the value does without.
    /// </summary>
    private static int Scan(ReadOnlySpan<byte> text, bool jsonEscapes, Span<byte> mask, List<string>? found)
    {
        var chain = new Chain();
        var count = 0;
        var afterSeparator = false;
        for (var i = 0; i < text.Length;)
        {
            var (kind, digit, length) = UnitAt(text, i, jsonEscapes);
            switch (kind)
            {
                case UnitKind.Digit:
                    chain.Add(digit, i, length, startsGroup: afterSeparator || chain.IsEmpty);
                    afterSeparator = false;
                    break;
                case UnitKind.Separator when !chain.IsEmpty:
                    afterSeparator = true;
                    break;
                default:
                    count += chain.Check(mask, found);
                    afterSeparator = false;
                    break;
            }
            i += length;
        }
        return count + chain.Check(mask, found);
    }

    private enum UnitKind { Digit, Separator, Other }

    /// <summary>The character at <paramref name="i"/> as the scanner sees it, with the bytes it takes.</summary>
    private static (UnitKind Kind, char Digit, int Length) UnitAt(ReadOnlySpan<byte> text, int i, bool jsonEscapes)
    {
        var b = text[i];
        if (b is >= (byte)'0' and <= (byte)'9')
            return (UnitKind.Digit, (char)b, 1);
        if (b is (byte)' ' or (byte)'-' or (byte)'.')
            return (UnitKind.Separator, default, 1);
        if (jsonEscapes && b == '\\' && i + 1 < text.Length)
        {
            // A JSON escape: \u0030-\u0039 is a digit and \u0020, \u002d, \u002e a separator; any other \uXXXX is one
            // character that is neither, so its hex digits ("\u00E9" before "1111…") never count as card digits.
            if (text[i + 1] == 'u' && i + 5 < text.Length && IsHex(text.Slice(i + 2, 4)))
            {
                var (high, low) = (text[i + 4], char.ToLowerInvariant((char)text[i + 5]));
                var plain = text[i + 2] == '0' && text[i + 3] == '0';
                if (plain && high == '3' && low is >= '0' and <= '9')
                    return (UnitKind.Digit, low, 6);
                if (plain && high == '2' && low is '0' or 'd' or 'e')
                    return (UnitKind.Separator, default, 6);
                return (UnitKind.Other, default, 6);
            }
            if (text[i + 1] is (byte)'\\' or (byte)'"' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                return (UnitKind.Other, default, 2); // \\, \" and the like: the escaped character is no digit
        }
        return (UnitKind.Other, default, 1);
    }

    private static bool IsHex(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
            if (!char.IsAsciiHexDigit((char)b))
                return false;
        return true;
    }

    /// <summary>The digits of one chain, where each came from, and where each group starts.</summary>
    private sealed class Chain
    {
        private readonly List<char> _digits = [];
        private readonly List<(int Start, int Length)> _places = [];
        private readonly List<int> _groupStarts = [];

        public bool IsEmpty => _digits.Count == 0;

        public void Add(char digit, int start, int length, bool startsGroup)
        {
            if (startsGroup)
                _groupStarts.Add(_digits.Count);
            _digits.Add(digit);
            _places.Add((start, length));
        }

        /// <summary>Checks every sequence of whole groups of 13 to 19 digits, then empties the chain.</summary>
        public int Check(Span<byte> mask, List<string>? found)
        {
            var count = 0;
            if (_digits.Count >= MinDigits)
            {
                _groupStarts.Add(_digits.Count); // the end of the last group
                var digits = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_digits);
                for (var first = 0; first < _groupStarts.Count - 1; first++)
                {
                    for (var end = first + 1; end < _groupStarts.Count; end++)
                    {
                        var (from, to) = (_groupStarts[first], _groupStarts[end]);
                        if (to - from > MaxDigits)
                            break;
                        if (to - from < MinDigits || !Luhn.IsValid(digits[from..to]))
                            continue;
                        count++;
                        found?.Add(new string(digits[from..to]));
                        if (!mask.IsEmpty)
                            for (var d = from; d < to; d++)
                                mask.Slice(_places[d].Start, _places[d].Length).Fill((byte)'*');
                    }
                }
            }
            _digits.Clear();
            _places.Clear();
            _groupStarts.Clear();
            return count;
        }
    }
}
