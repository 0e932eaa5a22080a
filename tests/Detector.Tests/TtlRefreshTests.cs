using Microsoft.Extensions.Time.Testing;
using SkimGuard.Detector.Redis;

namespace SkimGuard.Detector.Tests;

/// <summary>When the Redis store sets a key's TTL again, and when it trusts the one it set.</summary>
public sealed class TtlRefreshTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void AKeyGetsItsTtlOnceAWeekAfterTheBatchThatSetItCommitted()
    {
        var ttls = new TtlRefresh(_clock);
        Assert.True(ttls.IsDue("k"));
        ttls.Committed();

        _clock.Advance(TimeSpan.FromDays(6));
        Assert.False(ttls.IsDue("k"));
        Assert.True(ttls.IsDue("other"));

        _clock.Advance(TimeSpan.FromDays(1));
        Assert.True(ttls.IsDue("k"));
    }

    [Fact]
    public void ATtlOfABatchThatDidNotCommitIsSetAgain()
    {
        var ttls = new TtlRefresh(_clock);
        Assert.True(ttls.IsDue("k"));
        ttls.Abandoned();
        Assert.True(ttls.IsDue("k"));
    }

    [Fact]
    public void TheTtlOutlastsTheRetentionByTheWeekItIsTrusted() =>
        Assert.Equal(TimeSpan.FromDays(59) + TtlRefresh.Every, TtlRefresh.Ttl(TimeSpan.FromDays(59)));
}
