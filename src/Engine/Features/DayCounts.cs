namespace SkimGuard.Engine.Features;

/// <summary>
/// Counts per event day over the last <see cref="Days"/> days, in a ring: a day's slot is reused once the day falls
/// out of every window, so memory stays fixed however long the stream runs.
/// </summary>
internal sealed class DayCounts
{
    /// <summary>Days kept: longer than every window that reads them.</summary>
    public const int Days = 64;

    private readonly int[] _day = new int[Days];
    private readonly int[] _count = new int[Days];

    public void Add(int day, int count = 1)
    {
        var slot = day % Days;
        if (_day[slot] != day)
        {
            _day[slot] = day;
            _count[slot] = 0;
        }
        _count[slot] += count;
    }

    /// <summary>The sum over the <paramref name="days"/> days ending with <paramref name="today"/>.</summary>
    public int Sum(int today, int days)
    {
        var sum = 0;
        for (var day = today - days + 1; day <= today; day++)
        {
            var slot = day % Days;
            if (_day[slot] == day)
                sum += _count[slot];
        }
        return sum;
    }

    /// <summary>The latest day with a count, up to <paramref name="today"/> and inside the ring; null when none.</summary>
    public int? Latest(int today)
    {
        for (var day = today; day > today - Days; day--)
        {
            var slot = day % Days;
            if (_day[slot] == day && _count[slot] > 0)
                return day;
        }
        return null;
    }
}
