namespace SkimGuard.Simulator;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, and the same numbers on every machine and .NET version, which
/// <see cref="Random"/> does not promise. Same seed, same world, same bytes.
/// </summary>
internal sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed, ulong stream = 0)
    {
        var x = seed ^ (stream * 0xD1B54A32D192ED03UL);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    /// <summary>Uniform in [min, max).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    public bool Chance(double p) => NextDouble() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>A Poisson count by inversion; the rates here are small (a few events a day).</summary>
    public int Poisson(double lambda)
    {
        var l = Math.Exp(-lambda);
        var k = 0;
        var p = NextDouble();
        var cumulative = l;
        var term = l;
        while (p > cumulative && k < 100)
        {
            k++;
            term *= lambda / k;
            cumulative += term;
        }
        return k;
    }

    /// <summary>exp(N(mu, sigma)) by Box-Muller.</summary>
    public double LogNormal(double mu, double sigma)
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Exp(mu + sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>An index drawn with probability proportional to <paramref name="cumulative"/>'s increments.</summary>
    public int Weighted(double[] cumulative)
    {
        var target = NextDouble() * cumulative[^1];
        var index = Array.BinarySearch(cumulative, target);
        return Math.Min(index < 0 ? ~index : index + 1, cumulative.Length - 1);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
