using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// A card visit as a member of the card's sorted set. Binary and short (about 45 bytes with usual ids) so that a card's
/// visits stay in Redis's compact listpack encoding, which holds members of up to zset-max-listpack-value bytes (64 by
/// default); the text form it replaced was about 80 bytes and turned every card's set into a skip list of several
/// hundred bytes. Exact: the time in ticks and the coordinates as the doubles themselves. Members in the text form,
/// written by earlier versions, are still read.
/// </summary>
internal static class VisitMember
{
    private const byte BinaryForm = 1;
    private const char TextSeparator = '\u001f';

    /// <summary>The member for a visit: form, ticks, which coordinates follow and they, then terminal, type, country, bank.</summary>
    public static byte[] Of(CardVisit visit)
    {
        var texts = new[] { visit.TerminalId, WireNames.NameOf(visit.TerminalType), visit.Country, visit.BankId };
        double?[] coordinates = [visit.Lat, visit.Lon];
        var member = new byte[1 + 8 + 1 + coordinates.Count(c => c is not null) * 8 + texts.Sum(t => 1 + Encoding.UTF8.GetByteCount(t))];
        var span = member.AsSpan();
        span[0] = BinaryForm;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], visit.Time.UtcTicks);
        var at = 10;
        for (var i = 0; i < coordinates.Length; i++)
        {
            if (coordinates[i] is not { } value)
                continue;
            span[9] |= (byte)(1 << i);
            BinaryPrimitives.WriteDoubleLittleEndian(span[at..], value);
            at += 8;
        }
        foreach (var text in texts)
        {
            // Ids are at most 64 UTF-16 characters (the contract's limit), so at most 192 bytes of UTF-8: a byte holds the length.
            var length = Encoding.UTF8.GetBytes(text, span[(at + 1)..]);
            span[at] = checked((byte)length);
            at += 1 + length;
        }
        return member;
    }

    /// <summary>The visit a member holds, in either form.</summary>
    public static CardVisit Parse(string cardToken, byte[] member) =>
        member.Length > 0 && member[0] == BinaryForm ? ParseBinary(cardToken, member) : ParseText(cardToken, Encoding.UTF8.GetString(member));

    private static CardVisit ParseBinary(string cardToken, byte[] member)
    {
        var time = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(member.AsSpan(1)), TimeSpan.Zero);
        var at = 10;
        double? Coordinate(int bit)
        {
            if ((member[9] & (1 << bit)) == 0)
                return null;
            at += 8;
            return BinaryPrimitives.ReadDoubleLittleEndian(member.AsSpan(at - 8));
        }
        var (lat, lon) = (Coordinate(0), Coordinate(1));
        string Next()
        {
            var length = member[at];
            var text = Encoding.UTF8.GetString(member, at + 1, length);
            at += 1 + length;
            return text;
        }
        var (terminal, type, country, bank) = (Next(), Next(), Next(), Next());
        return new CardVisit(cardToken, bank, terminal, WireNames.Of<TerminalType>()[type], time, lat, lon, country);
    }

    private static CardVisit ParseText(string cardToken, string member)
    {
        var parts = member.Split(TextSeparator);
        return new CardVisit(cardToken, parts[6], parts[1], WireNames.Of<TerminalType>()[parts[2]],
            new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), Coordinate(parts[3]), Coordinate(parts[4]), parts[5]);
    }

    private static double? Coordinate(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);
}
