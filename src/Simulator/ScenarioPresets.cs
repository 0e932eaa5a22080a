namespace SkimGuard.Simulator;

/// <summary>
/// The scenario families by name, each switched on at its usual strength, and the realistic preset that mixes them
/// all: the worlds the CPP engine must hold up on besides the one it was first built on (docs/quality/cpp-grid.md).
/// </summary>
public static class ScenarioPresets
{
    /// <summary>Every family, alone, then the realistic mix; "baseline" is the original world.</summary>
    public static readonly string[] Names = ["baseline", "trickle", "unlisted-cashout", "unobserved", "hub", "partial-coverage", "reporting", "pos-skimmers", "realistic"];

    /// <summary>The options with one named family (or the realistic mix) switched on.</summary>
    public static SimulationOptions Apply(SimulationOptions options, string name) => name switch
    {
        "baseline" => options,
        "trickle" => options with { TrickleShare = 0.7 },
        "unlisted-cashout" => options with { UnlistedCashoutShare = 0.5 },
        "unobserved" => options with { UnobservedSkimmers = 2 },
        "hub" => options with { Hubs = Math.Max(1, options.Skimmers / 4) },
        "partial-coverage" => options with { PartnerShare = 0.6 },
        "reporting" => options with { ReportDelayDays = 5, WrongFirstFraudShare = 0.3, ReportRate = 0.7 },
        "pos-skimmers" => options with { PosSkimmers = 2 },
        "realistic" => options with
        {
            TrickleShare = 0.4, UnlistedCashoutShare = 0.3, UnobservedSkimmers = 1, Hubs = Math.Max(1, options.Skimmers / 4), PartnerShare = 0.7,
            ReportDelayDays = 4, WrongFirstFraudShare = 0.2, ReportRate = 0.75, PosSkimmers = 1,
        },
        _ => throw new ArgumentException($"unknown scenario '{name}'; one of: {string.Join(", ", Names)}"),
    };
}
