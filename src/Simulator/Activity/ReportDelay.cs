namespace SkimGuard.Simulator.Activity;

/// <summary>How long a bank takes to report a fraud, if it reports it at all.</summary>
internal static class ReportDelay
{
    /// <summary>
    /// Null when the bank never reports it (1 - report rate). Otherwise, in the original world, uniform between the two
    /// bounds; with the reporting family, long-tailed around its median: most within days, some the same hour, a few
    /// after six weeks.
    /// </summary>
    public static TimeSpan? Draw(Rng rng, SimulationOptions options, double minDays, double maxDays)
    {
        if (!rng.Chance(options.ReportRate))
            return null;
        if (options.ReportDelayDays <= 0)
            return TimeSpan.FromDays(rng.Uniform(minDays, maxDays));
        return TimeSpan.FromDays(Math.Clamp(rng.LogNormal(Math.Log(options.ReportDelayDays), 1.1), 2 / 24.0, 45));
    }
}
