using SkimGuard.Contracts;
using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Tests;

/// <summary>How a card visit is written into, and read back from, a visit bucket in Redis.</summary>
public sealed class VisitMemberTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    public static TheoryData<double?, double?> Coordinates => new() { { 19.301234567890123, 72.851234567890123 }, { null, null }, { -0.0, null }, { null, double.Epsilon } };

    [Theory]
    [MemberData(nameof(Coordinates))]
    public void AVisitReadsBackExactly(double? lat, double? lon)
    {
        var visit = new CardVisit("tok", "sbi", "ATM-MBR-0012", TerminalType.Atm, At, lat, lon, "IN");
        Assert.Equal(visit, VisitMember.Parse(VisitMember.Of(visit)));
    }

    [Fact]
    public void IdsOfTheContractsLongestLengthInAnyScriptReadBack()
    {
        var visit = new CardVisit("tok", new string('b', 64), new string('त', 64), TerminalType.Pos, At, 1.5, 2.5, "GB");
        Assert.Equal(visit, VisitMember.Parse(VisitMember.Of(visit)));
    }

    [Fact]
    public void AVisitBelongsToItsCardOnly()
    {
        var member = VisitMember.Of(new CardVisit("tok", "sbi", "ATM-1", TerminalType.Atm, At, 19.3, 72.8, "IN"));
        Assert.True(MemberScores.IsOf("tok", member));
        Assert.False(MemberScores.IsOf("to", member));
        Assert.False(MemberScores.IsOf("tok1", member));
        var longest = new string('त', 64); // 192 bytes of UTF-8
        var theirs = VisitMember.Of(new CardVisit(longest, "sbi", "ATM-1", TerminalType.Atm, At, 19.3, 72.8, "IN"));
        Assert.True(MemberScores.IsOf(longest, theirs));
        Assert.False(MemberScores.IsOf(new string('त', 63) + "थ", theirs));
    }

    [Fact]
    public void AnActiveScoreGivesItsDayBackAndSortsBeforeTheNextDay()
    {
        foreach (var id in new[] { "c1", "c2", new string('z', 64) })
        {
            var score = MemberScores.OfDay(id, 740_000);
            Assert.Equal(740_000, MemberScores.Day(score));
            Assert.InRange(score, 740_000, 740_001 - double.Epsilon * 1e10);
            Assert.True(MemberScores.OfDay(id, 740_001) > score);
        }
    }
}
