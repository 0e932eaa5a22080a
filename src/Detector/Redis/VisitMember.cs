using System.Buffers.Binary;
using System.Text;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// A card visit as a member of a visit bucket (<see cref="RedisKeys.CardVisits"/>, scored <see cref="MemberScores.OfId"/>
/// of the card): the card token and the unit separator, then a short binary record. Exact: the time in ticks and the
/// coordinates as the doubles themselves. Equal visits make equal members, so a visit written twice is kept once.
/// </summary>
internal static class VisitMember
{
    /// <summary>The member for a visit: token, separator, ticks, which coordinates follow and they, then terminal, type, country, bank.</summary>
    public static byte[] Of(CardVisit visit)
    {
        // Sized first and written in one pass: a commit makes one member per visit.
        var type = WireNames.NameOf(visit.TerminalType);
        var tokenLength = Encoding.UTF8.GetByteCount(visit.CardToken);
        var length = tokenLength + 1 + 8 + 1 + (visit.Lat is null ? 0 : 8) + (visit.Lon is null ? 0 : 8)
            + 4 /* a length byte per text */ + Encoding.UTF8.GetByteCount(visit.TerminalId) + Encoding.UTF8.GetByteCount(type) + Encoding.UTF8.GetByteCount(visit.Country) + Encoding.UTF8.GetByteCount(visit.BankId);
        var member = new byte[length];
        var span = member.AsSpan();
        Encoding.UTF8.GetBytes(visit.CardToken, span);
        span[tokenLength] = (byte)MemberScores.Separator;
        var record = span[(tokenLength + 1)..];
        BinaryPrimitives.WriteInt64LittleEndian(record, visit.Time.UtcTicks);
        var at = 9;
        WriteCoordinate(record, ref at, visit.Lat, 0);
        WriteCoordinate(record, ref at, visit.Lon, 1);
        WriteText(record, ref at, visit.TerminalId);
        WriteText(record, ref at, type);
        WriteText(record, ref at, visit.Country);
        WriteText(record, ref at, visit.BankId);
        return member;
    }

    /// <summary>The visit a member holds.</summary>
    public static CardVisit Parse(byte[] member)
    {
        var tokenLength = Array.IndexOf(member, (byte)MemberScores.Separator);
        var cardToken = Encoding.UTF8.GetString(member, 0, tokenLength);
        var at = tokenLength + 1;
        var time = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(member.AsSpan(at)), TimeSpan.Zero);
        var present = member[at + 8];
        at += 9;
        double? Coordinate(int bit)
        {
            if ((present & (1 << bit)) == 0)
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

    private static void WriteCoordinate(Span<byte> record, ref int at, double? value, int bit)
    {
        if (value is not { } coordinate)
            return;
        record[8] |= (byte)(1 << bit);
        BinaryPrimitives.WriteDoubleLittleEndian(record[at..], coordinate);
        at += 8;
    }

    private static void WriteText(Span<byte> record, ref int at, string text)
    {
        // Ids are at most 64 UTF-16 characters (the contract's limit), so at most 192 bytes of UTF-8: a byte holds the length.
        var written = Encoding.UTF8.GetBytes(text, record[(at + 1)..]);
        record[at] = checked((byte)written);
        at += 1 + written;
    }
}
