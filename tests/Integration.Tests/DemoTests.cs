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
        Assert.Contains("fraud model: default-", text, StringComparison.Ordinal);
        Assert.Contains("FLAG ATM-", text, StringComparison.Ordinal);
        var found = text.Split('\n').Count(l => l.TrimEnd().EndsWith("FOUND", StringComparison.Ordinal));
        Assert.True(found >= 2, text);
        Assert.Contains("0 other flags", text, StringComparison.Ordinal);
    }
}

/// <summary>`skimguard push` (the compose demo profile's banks) sends a town's feeds to a running Ingest, every record accepted.</summary>
public sealed class PushTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task TheSimulatedBanksPushTheirFeedsAndIngestAcceptsEveryRecord()
    {
        var port = FreePort.Next();
        await using var ingest = SkimGuard.Ingest.IngestApp.Build(["--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default", "Warning"], o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.TransactionsTopic = $"push-{Guid.NewGuid():N}";
            o.KafkaPath = false;
            o.TokenSecret = "push-test-token-secret-of-32-bytes-or-more";
            o.Banks = SkimGuard.Simulator.SimulationBanks.Ids.ToDictionary(b => b, b => new SkimGuard.Ingest.BankAccess { ApiKeyHashes = [SkimGuard.Ingest.Api.ApiKeys.HashOf("k-" + b)] });
        });
        await ingest.StartAsync(TestContext.Current.CancellationToken);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "skimguard.dll"), "push", "--ingest", $"http://127.0.0.1:{port}", "--key-prefix", "k-", "--cards", "800", "--days", "4" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var push = Process.Start(start)!;
        var stdout = push.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = push.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await push.WaitForExitAsync(TestContext.Current.CancellationToken);
        var text = await stdout;

        Assert.True(push.ExitCode == 0, text + await stderr);
        var counts = System.Text.RegularExpressions.Regex.Match(text, @"pushed ([\d,]+) records .*: ([\d,]+) accepted, 0 rejected");
        Assert.True(counts.Success, text);
        Assert.Equal(counts.Groups[1].Value, counts.Groups[2].Value);
    }
}
