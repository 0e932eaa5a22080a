using System.Globalization;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>
/// Every Redis key the window store uses, in one place. Keys are hash-tagged (the part in braces) so that Redis
/// Cluster keeps what one command or script touches in one slot: a card's keys together, a terminal's together, the
/// base-rate counters together, each day's applied-event keys together.
/// </summary>
public sealed class RedisKeys(string prefix = "sg")
{
    /// <summary>The 64-bit hashes of events applied on a day.</summary>
    public RedisKey Applied(int day) => $"{prefix}:applied:{{d{Day(day)}}}";

    /// <summary>A card's hash: its bank and its compromise mark.</summary>
    public RedisKey Card(string token) => $"{prefix}:{{c:{token}}}";

    /// <summary>A card's visits: a sorted set scored by time.</summary>
    public RedisKey CardVisits(string token) => $"{prefix}:{{c:{token}}}:v";

    /// <summary>A card's fraud-feature windows: its recent transactions, home country and first report.</summary>
    public RedisKey FeatureCard(string token) => $"{prefix}:{{c:{token}}}:f";

    /// <summary>A terminal's fraud-feature windows: day counts (field: kind and day) and reported frauds.</summary>
    public RedisKey FeatureTerminal(string terminalId) => $"{prefix}:{{t:{terminalId}}}:f";

    /// <summary>A terminal's hash: its type and location.</summary>
    public RedisKey Terminal(string terminalId) => $"{prefix}:{{t:{terminalId}}}";

    /// <summary>The distinct cards that used a terminal on a day.</summary>
    public RedisKey TerminalDay(string terminalId, int day) => $"{prefix}:{{t:{terminalId}}}:d:{Day(day)}";

    /// <summary>A terminal's compromised visitors, by card.</summary>
    public RedisKey TerminalCompromised(string terminalId) => $"{prefix}:{{t:{terminalId}}}:x";

    /// <summary>Each active card scored by the last day it was active (ZCOUNT over a range counts it once).</summary>
    public RedisKey ActiveCards => $"{prefix}:{{rate}}:active";

    /// <summary>Each active terminal scored by the last day it was used.</summary>
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

    private static string Day(int day) => day.ToString(CultureInfo.InvariantCulture);
}
