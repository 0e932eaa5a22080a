using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator;

/// <summary>The simulated town's partner banks, for the tests, benchmarks and demo that must give each one credentials.</summary>
public static class SimulationBanks
{
    /// <summary>Their bank ids.</summary>
    public static IReadOnlyList<string> Ids { get; } = [.. Places.Banks.Select(b => b.Id)];
}
