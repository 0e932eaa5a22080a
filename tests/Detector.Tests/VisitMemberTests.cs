using System.Text;
using SkimGuard.Contracts;
using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Tests;

/// <summary>How a card visit is written into, and read back from, the card's sorted set in Redis.</summary>
public sealed class VisitMemberTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    public static TheoryData<double?, double?> Coordinates => new() { { 19.301234567890123, 72.851234567890123 }, { null, null }, { -0.0, null }, { null, double.Epsilon } };

    [Theory]
    [MemberData(nameof(Coordinates))]
    public void AVisitReadsBackExactly(double? lat, double? lon)
    {
        var visit = new CardVisit("tok", "sbi", "ATM-MBR-0012", TerminalType.Atm, At, lat, lon, "IN");
        Assert.Equal(visit, VisitMember.Parse("tok", VisitMember.Of(visit)));
    }

    [Fact]
    public void IdsOfTheContractsLongestLengthInAnyScriptReadBack()
    {
        var visit = new CardVisit("tok", new string('b', 64), new string('त', 64), TerminalType.Pos, At, 1.5, 2.5, "GB");
        Assert.Equal(visit, VisitMember.Parse("tok", VisitMember.Of(visit)));
    }

    [Fact]
    public void AUsualVisitFitsRedisCompactSortedSetMembers() =>
        // zset-max-listpack-value is 64 bytes by default; a longer member turns the card's set into a skip list.
        Assert.InRange(VisitMember.Of(new CardVisit("tok", "sbi", "ATM-MBR-0012", TerminalType.Atm, At, 19.3012345678901, 72.8512345678901, "IN")).Length, 1, 64);

    [Fact]
    public void AMemberInTheEarlierTextFormIsStillRead()
    {
        var text = $"{At.UtcTicks}\u001fATM-1\u001fatm\u001f19.3\u001f\u001fIN\u001fsbi";
        Assert.Equal(new CardVisit("tok", "sbi", "ATM-1", TerminalType.Atm, At, 19.3, null, "IN"), VisitMember.Parse("tok", Encoding.UTF8.GetBytes(text)));
    }
}
