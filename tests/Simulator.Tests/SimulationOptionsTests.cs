namespace SkimGuard.Simulator.Tests;

public sealed class SimulationOptionsTests
{
    [Theory]
    [InlineData(50, 10, 150, 0.7, "--cards")]
    [InlineData(1000, 0, 150, 0.7, "--days")]
    [InlineData(1000, 10, 20, 0.7, "--atms")]
    [InlineData(1000, 10, 150, 1.5, "--capture-rate")]
    public void ABadOptionIsRefusedByName(int cards, int days, int atms, double captureRate, string name)
    {
        var options = new SimulationOptions { Cards = cards, Days = days, Atms = atms, CaptureRate = captureRate };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.StartsWith(name, error.Message, StringComparison.Ordinal);
    }
}
