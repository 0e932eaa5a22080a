using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// The chance that an active card is compromised, twice: counting every mark by its weight, and counting strong
/// marks only (counterfeit reports, clones' cash-outs). Both are floored at <see cref="CppOptions.MinBaseRate"/>.
/// </summary>
/// <param name="All">Weighted compromised cards over active cards.</param>
/// <param name="Strong">Weighted strongly compromised cards over active cards.</param>
public readonly record struct BaseRates(double All, double Strong)
{
    /// <summary>The rates from the store's counts.</summary>
    public static BaseRates Of(BaseRate counts, CppOptions options)
    {
        var active = Math.Max(1, counts.ActiveCards);
        return new(Math.Max(options.MinBaseRate, counts.CompromisedWeight / active), Math.Max(options.MinBaseRate, counts.StrongWeight / active));
    }
}
