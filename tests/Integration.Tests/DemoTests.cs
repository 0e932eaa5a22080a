using SkimGuard.TestSupport;

namespace SkimGuard.Integration.Tests;

/// <summary>`skimguard demo --exit-when-done` runs the whole pipeline and compares its flags with the planted skimmers.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task TheDemoFindsThePlantedSkimmersAndExitsWhenDone()
    {
        var output = Directory.CreateTempSubdirectory("skimguard-demo-").FullName;
        var (code, text, errors) = await SkimguardCli.RunAsync(
            "demo", "--exit-when-done", "--days", "20", "--cards", "6000", "--speed", "48",
            "--port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--ingest-port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", output);

        Assert.True(code == 0, text + errors);
        Assert.Contains("dashboard: http://localhost:", text, StringComparison.Ordinal);
        Assert.Contains("fraud model: default-", text, StringComparison.Ordinal);
        Assert.Contains("FLAG ATM-", text, StringComparison.Ordinal);
        var found = text.Split('\n').Count(l => l.TrimEnd().EndsWith("FOUND", StringComparison.Ordinal));
        Assert.True(found >= 2, text);
        Assert.Contains("0 other flags", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigtermStopsTheDemoWithinSecondsMidRun()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "skimguard.dll"), "demo", "--days", "10", "--cards", "2000", "--speed", "4",
                     "--port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--ingest-port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--out", Directory.CreateTempSubdirectory("skimguard-demo-").FullName })
            start.ArgumentList.Add(argument);
        using var demo = System.Diagnostics.Process.Start(start)!;
        var errors = demo.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            while (await demo.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line && !line.StartsWith("dashboard:", StringComparison.Ordinal))
            {
            }
            await Task.Delay(2000, TestContext.Current.CancellationToken); // the banks are pushing

            Assert.Equal(0, Kill(demo.Id, 15)); // SIGTERM, as docker stop and Kubernetes send
            var stopped = System.Diagnostics.Stopwatch.StartNew();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await demo.WaitForExitAsync(patience.Token);

            Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(15), $"stopped after {stopped.Elapsed}");
            Assert.Equal(0, demo.ExitCode);
            Assert.Contains("stopped", await errors, StringComparison.Ordinal);
        }
        finally
        {
            if (!demo.HasExited)
                demo.Kill(entireProcessTree: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
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
        var (code, text, errors) = await SkimguardCli.RunAsync(
            "push", "--ingest", $"http://127.0.0.1:{port}", "--key-prefix", "k-", "--cards", "800", "--days", "4");

        Assert.True(code == 0, text + errors);
        var counts = System.Text.RegularExpressions.Regex.Match(text, @"pushed ([\d,]+) records .*: ([\d,]+) accepted, 0 rejected");
        Assert.True(counts.Success, text);
        Assert.Equal(counts.Groups[1].Value, counts.Groups[2].Value);
    }
}
