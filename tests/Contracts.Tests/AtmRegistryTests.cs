using SkimGuard.Contracts.Registry;

namespace SkimGuard.Contracts.Tests;

public sealed class AtmRegistryTests
{
    [Fact]
    public void ARegistrySurvivesSaveAndLoadIncludingQuotedNames()
    {
        var path = Path.GetTempFileName();
        AtmRecord[] atms =
        [
            new("ATM-2", "sbi", "SBI ATM, Station Road, \"Near Gate 2\"", 19.3011, 72.8492, "Bhayander West"),
            new("ATM-1", "hdfc", "HDFC ATM", 19.28, 72.869, "Mira Road East"),
        ];

        AtmRegistry.Save(path, atms);
        var loaded = AtmRegistry.Load(path);

        Assert.Equal(atms[0], loaded.Find("ATM-2"));
        Assert.Equal(atms[1], loaded.Find("ATM-1"));
        Assert.StartsWith(AtmRegistry.Header + "\nATM-1,", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("terminal_id,bank_id,name,lat,lon\n", "header")]
    [InlineData("terminal_id,bank_id,name,lat,lon,locality\nATM-1,sbi,x,91,72,y\n", ":2: lat")]
    [InlineData("terminal_id,bank_id,name,lat,lon,locality\nATM-1,sbi,x,19\n", ":2: expected 6 columns")]
    [InlineData("terminal_id,bank_id,name,lat,lon,locality\nATM-1,sbi,x,19,72,y\nATM-1,sbi,x,19,72,y\n", "listed twice")]
    [InlineData("terminal_id,bank_id,name,lat,lon,locality\nATM-1,sbi,\"Shop 4111 1111 1111 1111\",19,72,y\n", ":2: name holds a card number")]
    [InlineData("terminal_id,bank_id,name,lat,lon,locality\nATM-1,sbi,x,19,72,y\nATM 5555.5555.5555.4444,sbi,x,19,72,y\n", ":3: terminal_id holds a card number")]
    public void ABadRegistryNamesTheLineAndTheReason(string csv, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => AtmRegistry.Parse(new StringReader(csv), "atms.csv"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(Cards.PanScanner.FindPans(error.Message));
    }
}
