using SkimGuard.Engine.Windows;
using StackExchange.Redis;

namespace SkimGuard.Detector.Redis;

/// <summary>A terminal-day bucket's member: terminal, bank and card token, joined by the unit separator.</summary>
internal static class TerminalDayMember
{
    public static RedisValue Of(string terminalId, CardRef card) => $"{terminalId}{MemberScores.Separator}{card.BankId}{MemberScores.Separator}{card.Token}";

    /// <summary>The card a member names.</summary>
    public static CardRef Parse(string member)
    {
        var parts = member.Split(MemberScores.Separator);
        return new CardRef(parts[2], parts[1]);
    }
}
