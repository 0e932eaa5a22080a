namespace SkimGuard.Engine.Windows;

/// <summary>Days as whole numbers (days since 0001-01-01, UTC): the unit of the sliding windows.</summary>
public static class EventDay
{
    /// <summary>The day an instant falls on.</summary>
    public static int Of(DateTimeOffset time) => (int)(time.UtcTicks / TimeSpan.TicksPerDay);

    /// <summary>Midnight UTC starting the day.</summary>
    public static DateTimeOffset Start(int day) => new(day * TimeSpan.TicksPerDay, TimeSpan.Zero);
}
