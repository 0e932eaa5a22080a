using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Tests;

public sealed class IsoCodesTests
{
    [Fact]
    public void EveryAssignedCountryCodeIsListed() => Assert.Equal(249, IsoCodes.Countries.Count);

    [Theory]
    [InlineData("INR")]
    [InlineData("EUR")]
    [InlineData("THB")]
    [InlineData("AED")]
    public void CurrenciesTheFeedsUseAreListed(string code) => Assert.Contains(code, (IReadOnlySet<string>)IsoCodes.Currencies);
}
