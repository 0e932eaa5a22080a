namespace SkimGuard.Engine.Cpp;

/// <summary>
/// P(X ≥ k) for X ~ Poisson(μ), extended to a real k (weighted counts) through the regularised lower incomplete
/// gamma function P(k, μ), which equals the Poisson upper tail for whole k. Accurate to a few ulps relative even
/// deep in the tail (1e-30), where the series converges fastest.
/// </summary>
public static class PoissonTail
{
    /// <summary>The probability of k or more events when μ are expected.</summary>
    public static double AtLeast(double k, double mu)
    {
        if (k <= 0)
            return 1;
        if (mu <= 0)
            return 0;
        return mu < k + 1 ? LowerSeries(k, mu) : 1 - UpperContinuedFraction(k, mu);
    }

    /// <summary>
    /// The one-sided lower confidence bound of a Poisson mean from an observed (weighted) count k: the mean μ at which
    /// seeing k or more has probability <paramref name="alpha"/>. Below it, k would be too many to believe. Found by
    /// bisection, as P(X ≥ k | μ) rises with μ; exact to a millionth of k.
    /// </summary>
    public static double LowerMean(double k, double alpha)
    {
        if (k <= 0)
            return 0;
        var (low, high) = (0.0, k + 10 * Math.Sqrt(k) + 10);
        while (high - low > 1e-6 * Math.Max(k, 1))
        {
            var mid = (low + high) / 2;
            if (AtLeast(k, mid) < alpha)
                low = mid;
            else
                high = mid;
        }
        return (low + high) / 2;
    }

    // Numerical Recipes, 3rd ed., 6.2: the series for P(a, x), best for x < a + 1.
    private static double LowerSeries(double a, double x)
    {
        var term = 1.0 / a;
        var sum = term;
        for (var n = 1; n < 1000; n++)
        {
            term *= x / (a + n);
            sum += term;
            if (Math.Abs(term) < Math.Abs(sum) * 1e-16)
                break;
        }
        return sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
    }

    // The continued fraction for Q(a, x) = 1 - P(a, x), best for x ≥ a + 1 (modified Lentz).
    private static double UpperContinuedFraction(double a, double x)
    {
        const double tiny = 1e-300;
        var b = x + 1 - a;
        var c = 1 / tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < 1000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny)
                d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny)
                c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
                break;
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9; relative error below 1e-15).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5)
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++)
            sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];
}
