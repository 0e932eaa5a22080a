using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// The simulated days: transactions are planned into the day they happen on, today or later (a cash-out weeks
/// after the skimming), and each day's plan is sorted before it is written.
/// </summary>
internal sealed class Timeline(SimWorld world, SimulationOptions options)
{
    private static readonly double[] HourWeights = SimWorld.Cumulative(
        [0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.8, 1.5, 2.5, 3, 3.5, 3.5, 3.5, 3.2, 3, 3, 3.2, 3.5, 4, 4.2, 3.8, 3, 2, 1]);

    private readonly List<PlannedTxn>[] _days = [.. Enumerable.Range(0, options.Days).Select(_ => new List<PlannedTxn>())];
    private long _sequence;

    public SimWorld World { get; } = world;
    public SimulationOptions Options { get; } = options;

    public long StartTicks => Options.Start.UtcTicks;

    public long DayStart(int day) => StartTicks + day * TimeSpan.TicksPerDay;

    /// <summary>A time on the given day, at an hour drawn from people's daily rhythm, to the second.</summary>
    public long TimeOfDay(Rng rng, int day) =>
        DayStart(day) + rng.Weighted(HourWeights) * TimeSpan.TicksPerHour + rng.Next(3600) * TimeSpan.TicksPerSecond;

    /// <summary>Plans a transaction; one after the simulated period is dropped (it never happens in this world).</summary>
    public void Plan(long ticks, int card, int terminal, long amountMinor, EntryMode entryMode, TxnType txnType, bool approved, FraudCase? fraud = null)
    {
        ticks -= ticks % TimeSpan.TicksPerSecond;
        var day = (int)((ticks - StartTicks) / TimeSpan.TicksPerDay);
        if (day < 0 || day >= _days.Length)
            return;
        _days[day].Add(new PlannedTxn(ticks, _sequence++, card, terminal, amountMinor, entryMode, txnType, approved, fraud));
    }

    /// <summary>Hands over a day's transactions in time order and forgets them.</summary>
    public List<PlannedTxn> TakeDay(int day)
    {
        var plan = _days[day];
        _days[day] = [];
        plan.Sort();
        return plan;
    }

    /// <summary>A rupee amount in a terminal's currency, in minor units, rounded to what the terminal dispenses.</summary>
    public static long Minor(Terminal terminal, double rupees, double roundToMajor = 1)
    {
        var major = rupees * terminal.MinorPerRupee / 100;
        return (long)(Math.Max(1, Math.Round(major / roundToMajor)) * roundToMajor * 100);
    }
}
