using System.Diagnostics;
using SkimGuard.TestSupport;

namespace SkimGuard.Integration.Tests;

/// <summary>`skimguard demo --exit-when-done` runs the whole pipeline and compares its flags with the planted skimmers.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task TheDemoFindsThePlantedSkimmersAndExitsWhenDone()
    {
        var output = Directory.CreateTempSubdirectory("skimguard-demo-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "skimguard.dll"), "demo", "--exit-when-done", "--days", "20", "--cards", "6000", "--speed", "48",
                "--port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--ingest-port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", output,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = demo.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        await demo.WaitForExitAsync(timeout.Token);
        var text = await stdout;

        Assert.True(demo.ExitCode == 0, text + await stderr);
        Assert.Contains("dashboard: http://localhost:", text, StringComparison.Ordinal);
        Assert.Contains("FLAG ATM-", text, StringComparison.Ordinal);
        var found = text.Split('\n').Count(l => l.TrimEnd().EndsWith("FOUND", StringComparison.Ordinal));
        Assert.True(found >= 2, text);
        Assert.Contains("0 other flags", text, StringComparison.Ordinal);
    }
}
