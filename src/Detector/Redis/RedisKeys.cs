using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// Every Redis key the window store uses, in one place. Keys are hash-tagged (the part in braces) so that Redis
/// Cluster keeps what one command or script touches in one slot: a card's keys together, a terminal's together, the
/// base-rate counters together, each day's applied-event keys together, each visit or terminal-day bucket on its own.
/// </summary>
public sealed class RedisKeys(string prefix = "sg")
{
    /// <summary>
    /// How many buckets share a week's card visits, a day's terminal cards, and the terminals' type and location. A batch
    /// writes one command per bucket it touches instead of one per card and per terminal.
    /// </summary>
    public const int Buckets = 16;

    /// <summary>The 64-bit hashes of events applied on a day.</summary>
    public RedisKey Applied(int day) => $"{prefix}:applied:{{d{Number(day)}}}";

    /// <summary>A card's hash: its bank and its compromise mark.</summary>
    public RedisKey Card(string token) => $"{prefix}:{{c:{token}}}";

    /// <summary>
    /// The card visits of a week (<see cref="Week"/>) whose card falls in the card's bucket: a sorted set of
    /// <see cref="VisitMember"/>s, each card's scored by the card (<see cref="MemberScores.OfId"/>).
    /// </summary>
    public RedisKey CardVisits(string token, int week) => CardVisits(week, BucketOf(token));

    /// <summary>A week's visit bucket by its number (<see cref="BucketOf"/> of the card).</summary>
    public RedisKey CardVisits(int week, int bucket) => $"{prefix}:{{v:{Number(week)}:{Number(bucket)}}}";

    /// <summary>
    /// The fraud-feature windows of a week's cards in a bucket (<see cref="BucketOf"/> of the card): a hash whose field is
    /// the card (its home country, first report and transactions of the week) or the card with ":r" (its first report).
    /// </summary>
    public RedisKey FeatureCardWeek(int week, int bucket) => $"{prefix}:{{fc:{Number(week)}:{Number(bucket)}}}";

    /// <summary>
    /// Each terminal's count of the commits that changed its fraud-feature windows (field: the terminal): a replica holding
    /// a terminal's windows reads them again only when another replica has counted one since.
    /// </summary>
    public RedisKey FeatureTerminalVersions => $"{prefix}:{{ftv}}";

    /// <summary>A stream of the cards reported for the first time, for replicas holding a card's windows to read it again.</summary>
    public RedisKey CardsReported => $"{prefix}:{{reported}}";

    /// <summary>A terminal's fraud-feature windows: day counts (field: kind and day) and reported frauds.</summary>
    public RedisKey FeatureTerminal(string terminalId) => $"{prefix}:{{t:{terminalId}}}:f";

    /// <summary>
    /// The terminals of the terminal's bucket: a hash whose field is the terminal id and whose value is its type, latitude,
    /// longitude and country, joined by the unit separator.
    /// </summary>
    public RedisKey Terminal(string terminalId) => $"{prefix}:{{ti:{Number(BucketOf(terminalId))}}}";

    /// <summary>
    /// The distinct cards that used the terminals of the terminal's bucket on a day: a sorted set of
    /// <see cref="TerminalDayMember"/>s, each terminal's scored by the terminal (<see cref="MemberScores.OfId"/>).
    /// </summary>
    public RedisKey TerminalDay(string terminalId, int day) => TerminalDay(day, BucketOf(terminalId));

    /// <summary>A day's terminal bucket by its number (<see cref="BucketOf"/> of the terminal).</summary>
    public RedisKey TerminalDay(int day, int bucket) => $"{prefix}:{{td:{Number(day)}:{Number(bucket)}}}";

    /// <summary>A terminal's compromised visitors, by card.</summary>
    public RedisKey TerminalCompromised(string terminalId) => $"{prefix}:{{t:{terminalId}}}:x";

    /// <summary>Each active card scored by the last day it was active (<see cref="MemberScores.OfDay"/>; ZCOUNT over a range counts it once).</summary>
    public RedisKey ActiveCards => $"{prefix}:{{rate}}:active";

    /// <summary>Each active terminal scored by the last day it was used (<see cref="MemberScores.OfDay"/>).</summary>
    public RedisKey ActiveTerminals => $"{prefix}:{{rate}}:terminals";

    /// <summary>Compromised weight by first-fraud day (field: the day).</summary>
    public RedisKey CompromisedWeight => $"{prefix}:{{rate}}:weight";

    /// <summary>Strongly compromised weight by first-fraud day (field: the day).</summary>
    public RedisKey StrongWeight => $"{prefix}:{{rate}}:strong";

    /// <summary>The newest alert of each terminal (field: the terminal).</summary>
    public RedisKey Alerts => $"{prefix}:{{alerts}}";

    /// <summary>The cards already sent to a bank for an alert.</summary>
    public RedisKey CardsSent(string alertId, string bankId) => $"{prefix}:{{a:{alertId}}}:sent:{bankId}";

    /// <summary>The engine's rescan schedule (field: the terminal; value: last scan and due time in ticks).</summary>
    public RedisKey Rescans => $"{prefix}:{{rescan}}";

    /// <summary>The week an event day falls in, for <see cref="CardVisits"/>.</summary>
    public static int Week(int day) => day / 7;

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The bucket of a card or terminal: stable across processes and machines (string.GetHashCode is not), since every
    /// replica must pick the same one.
    /// </summary>
    public static int BucketOf(string id) => (int)(XxHash32.HashToUInt32(MemoryMarshal.AsBytes(id.AsSpan())) % Buckets);
}
