using SkimGuard.Engine.Cpp;

namespace SkimGuard.Engine.Tests;

public sealed class RescanSchedulerTests
{
    private static readonly DateTimeOffset T0 = Build.T0;

    [Fact]
    public void AQuietTerminalIsRescannedAtOnceAndABusyOneOncePerInterval()
    {
        var scheduler = new RescanScheduler(TimeSpan.FromHours(1));

        Assert.True(scheduler.Request("ATM-1", T0));
        Assert.False(scheduler.Request("ATM-1", T0.AddMinutes(10)));
        Assert.False(scheduler.Request("ATM-1", T0.AddMinutes(20))); // already waiting: one rescan takes in both
        Assert.False(scheduler.TryTakeDue(T0.AddMinutes(59), out _, out _));

        Assert.True(scheduler.TryTakeDue(T0.AddHours(2), out var terminal, out var due));
        Assert.Equal(("ATM-1", T0.AddHours(1)), (terminal, due));
        Assert.False(scheduler.TryTakeDue(T0.AddHours(2), out _, out _));
        Assert.True(scheduler.Request("ATM-1", T0.AddHours(2)));
    }

    [Fact]
    public void DueRescansComeOutInTimeOrderThenByTerminal()
    {
        var scheduler = new RescanScheduler(TimeSpan.FromHours(1));
        scheduler.Request("B", T0);
        scheduler.Request("A", T0);
        scheduler.Request("C", T0.AddMinutes(-30));
        scheduler.Request("B", T0.AddMinutes(1));
        scheduler.Request("A", T0.AddMinutes(1));
        scheduler.Request("C", T0.AddMinutes(1));

        var order = new List<string>();
        while (scheduler.TryTakeDue(DateTimeOffset.MaxValue, out var terminal, out _))
            order.Add(terminal);

        Assert.Equal(["C", "A", "B"], order);
    }
}
