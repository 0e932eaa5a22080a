using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// Scores for the store's large sorted sets. Redis orders a sorted set by score and then by member bytes, and a skip-list
/// insert that ties on score compares members on its way down, a pointer chase to each member it passes. The sets that
/// hold many ids (visit and terminal-day buckets, active cards and terminals) would tie nearly everywhere, so each id's
/// score carries bits of the id's hash: an insert then mostly compares numbers held in the nodes themselves.
/// </summary>
internal static class MemberScores
{
    public const char Separator = '\u001f';

    /// <summary>
    /// The score of every member of <paramref name="id"/> in a bucket: 52 bits of its hash, exact in a double. ZRANGEBYSCORE
    /// on it reads the id's members, and those of any id whose hash agrees in those bits, which <see cref="IsOf"/> leaves out.
    /// </summary>
    public static double OfId(string id) => Hash(id) >> 12;

    /// <summary>
    /// The score of an active card or terminal: its last day, with 30 bits of the id's hash as the fraction. Ranges of
    /// whole days count it as they counted the day (ZCOUNT from the first day up to, not including, the day after the
    /// last), ZADD GT keeps the latest day as before (the fraction is the id's own), and <see cref="Day"/> gives the day
    /// back. Days are below 2^20, so the sum is exact in a double.
    /// </summary>
    public static double OfDay(string id, int day) => day + (Hash(id) >> 34) / (double)(1L << 30);

    /// <summary>The day an active score stands for.</summary>
    public static int Day(double score) => (int)Math.Floor(score);

    /// <summary>Whether a bucket member belongs to <paramref name="id"/>: it starts with the id and the separator.</summary>
    public static bool IsOf(string id, RedisValue member)
    {
        // Compared as bytes, without a string per member: a terminal's read tests hundreds of them. Ids are at most 64
        // UTF-16 characters (the contract's limit); a longer one, which no reader lets through, is encoded on the heap.
        var bytes = (ReadOnlySpan<byte>)(byte[])member!;
        var maxLength = Encoding.UTF8.GetMaxByteCount(id.Length);
        var idBytes = maxLength <= 256 ? stackalloc byte[maxLength] : new byte[maxLength];
        var length = Encoding.UTF8.GetBytes(id, idBytes);
        return bytes.Length > length && bytes[length] == (byte)Separator && bytes[..length].SequenceEqual(idBytes[..length]);
    }

    // Stable across processes and machines (string.GetHashCode is not): every replica must give an id the same score.
    private static ulong Hash(string id) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(id.AsSpan()));
}
