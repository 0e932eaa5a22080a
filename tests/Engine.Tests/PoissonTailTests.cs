using SkimGuard.Engine.Cpp;

namespace SkimGuard.Engine.Tests;

public sealed class PoissonTailTests
{
    [Theory]
    // P(X >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125)
    [InlineData(3, 0.5, 0.014387677966970687)]
    // P(X >= 1 | 2) = 1 - e^-2
    [InlineData(1, 2.0, 0.8646647167633873)]
    // P(X >= 5 | 5) = 1 - e^-5 (1 + 5 + 12.5 + 20.8333 + 26.0417)
    [InlineData(5, 5.0, 0.5595067149347875)]
    // Deep tail: e^-0.1 (0.1^10 / 10!) (1 + 0.1/11 + 0.01/132 + ...) = 2.51634781e-17
    [InlineData(10, 0.1, 2.5163478067703e-17)]
    public void TheTailMatchesHandComputedValues(double k, double mu, double expected)
    {
        Assert.Equal(expected, PoissonTail.AtLeast(k, mu), expected * 1e-7);
    }

    [Theory]
    // The exact (Garwood) 95 % one-sided lower bounds: chi-square(0.05, 2k) / 2, from tables.
    [InlineData(1, 0.05129329)]
    [InlineData(4, 1.36631)]
    [InlineData(10, 5.42541)]
    [InlineData(20, 13.2547)]
    public void TheLowerBoundOfAMeanMatchesTheTables(double k, double expected)
    {
        Assert.Equal(expected, PoissonTail.LowerMean(k, 0.05), expected * 1e-4);
        Assert.Equal(0.05, PoissonTail.AtLeast(k, PoissonTail.LowerMean(k, 0.05)), 1e-6);
    }

    [Fact]
    public void AWeightedCountLiesBetweenItsWholeNeighbours()
    {
        var p = PoissonTail.AtLeast(3.5, 0.5);

        Assert.InRange(p, PoissonTail.AtLeast(4, 0.5), PoissonTail.AtLeast(3, 0.5));
    }

    [Fact]
    public void NothingExpectedMeansAnyCountIsImpossibleAndZeroIsCertain()
    {
        Assert.Equal(0, PoissonTail.AtLeast(1, 0));
        Assert.Equal(1, PoissonTail.AtLeast(0, 3));
    }

    [Fact]
    public void LogGammaMatchesFactorials()
    {
        Assert.Equal(Math.Log(3628800), PoissonTail.LogGamma(11), 1e-10);
        Assert.Equal(0.5 * Math.Log(Math.PI), PoissonTail.LogGamma(0.5), 1e-10);
    }
}
