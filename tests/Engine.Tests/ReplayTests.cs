using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;
using SkimGuard.Engine.Windows;
using SkimGuard.Simulator;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Engine.Tests;

public sealed class ReplayTests(SimulatedWorld world) : IClassFixture<SimulatedWorld>
{
    /// <summary>Replays the events and advances the engine to <paramref name="until"/>, running the rescans due by then.</summary>
    private static async Task<RecordingSink> RunAsync(IEnumerable<ReplayEvent> events, DateTimeOffset until)
    {
        var sink = new RecordingSink();
        var engine = new CompromiseEngine(new InProcessWindowStore(), sink, new CppOptions(), AtmRegistry.Empty);
        foreach (var e in events)
        {
            if (e.Transaction is { } tx)
                await engine.ProcessAsync(tx);
            else
                await engine.ProcessAsync(e.Report!);
        }
        await engine.FlushRescansAsync(until);
        return sink;
    }

    [Fact]
    public async Task TheSameEventsCutAtAnyTimeGiveTheSameAlertsUpToThatTime()
    {
        var full = await RunAsync(world.Events, DateTimeOffset.MaxValue);
        Assert.NotEmpty(full.Alerts);

        // Cut in the middle of the alerting: half the alert states come before the cut.
        var cut = full.Alerts[full.Alerts.Count / 2].UpdatedAt;
        var truncated = await RunAsync(world.Events.Where(e => e.Time <= cut), cut);

        Assert.Equal(
            full.Alerts.Where(a => a.UpdatedAt <= cut).Select(a => JsonLinesText(a)),
            truncated.Alerts.Select(a => JsonLinesText(a)));
        Assert.Equal(
            full.CardsAtRisk.Where(c => c.IssuedAt <= cut).Select(c => string.Join(',', c.CardTokens)),
            truncated.CardsAtRisk.Select(c => string.Join(',', c.CardTokens)));
    }

    [Fact]
    public void TheMergedFilesReplayInEventTimeOrder()
    {
        var transactions = new FeedFile<Contracts.Transaction>(world.PathOf(SimulationFiles.TransactionsFile), l => Contracts.Validation.TransactionReader.Read(l, Contracts.Validation.ReadContext.Internal));
        var reports = new FeedFile<Contracts.FraudReport>(world.PathOf(SimulationFiles.FraudReportsFile), l => Contracts.Validation.FraudReportReader.Read(l, Contracts.Validation.ReadContext.Internal));

        var merged = EventTimeMerge.Merge(transactions.Records().Select(ReplayEvent.Of), reports.Records().Select(ReplayEvent.Of), TestContext.Current.CancellationToken).ToList();

        Assert.Equal(world.Events.Count, merged.Count);
        Assert.True(merged.Zip(merged.Skip(1)).All(p => p.First.Time <= p.Second.Time));
        Assert.Equal(world.Events.Count(e => e.Report is not null), merged.Count(e => e.Report is not null));
    }

    [Fact]
    public async Task TheBacktestFindsThePlantedSkimmersAndNothingElse()
    {
        var quality = new DetectionQuality(world.Truth);
        var result = await new Backtest(new CppOptions(), AtmRegistry.Load(world.PathOf(SimulationFiles.AtmsFile)))
            .RunAsync(world.PathOf(SimulationFiles.TransactionsFile), world.PathOf(SimulationFiles.FraudReportsFile),
                quality.Observe, cancellationToken: TestContext.Current.CancellationToken);

        var report = quality.Score(result.Alerts, result.CardsAtRisk, result.SignatureMarkedCards);

        Assert.Equal(world.Events.Count, result.Events);
        Assert.Equal(0, result.Transactions.Rejected + result.Reports.Rejected);
        Assert.Equal(1.0, report.RecallDetectable);
        Assert.Equal(1.0, report.Precision);
        Assert.Equal(0, report.BusyTerminalAlerts + report.PhishingNeighbourhoodAlerts);
        Assert.All(result.Alerts, a => Assert.NotNull(a.Location?.Locality));
    }

    [Fact]
    public async Task MalformedLinesAreCountedWithTheirNumbersAndSkipped()
    {
        var folder = Directory.CreateTempSubdirectory("skimguard-bad-").FullName;
        var transactions = Path.Combine(folder, "t.jsonl");
        var lines = File.ReadLines(world.PathOf(SimulationFiles.TransactionsFile)).Take(1000).ToList();
        lines[10] = "{not json";
        lines[20] = lines[20].Replace("\"currency\":\"INR\"", "\"currency\":\"RUPEES\"", StringComparison.Ordinal);
        lines[30] = System.Text.RegularExpressions.Regex.Replace(lines[30], "\"txn_id\":\"[^\"]+\"", "\"txn_id\":\"kp-\\ud800\""); // stopped the backtest once
        lines[0] = "\uFEFF" + lines[0]; // a byte order mark, as Windows tools write, is stepped over
        await File.WriteAllLinesAsync(transactions, lines, TestContext.Current.CancellationToken);
        var reports = Path.Combine(folder, "r.jsonl");
        await File.WriteAllTextAsync(reports, "", TestContext.Current.CancellationToken);

        var result = await new Backtest(new CppOptions(), AtmRegistry.Empty).RunAsync(transactions, reports, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(997, result.Events);
        Assert.Equal(3, result.Transactions.Rejected);
        Assert.Equal([11L, 21L, 31L], result.Transactions.FirstRejected.Select(r => r.Line));
        Assert.Contains("currency", result.Transactions.FirstRejected[1].Reason, StringComparison.Ordinal);
        Assert.Contains("surrogate", result.Transactions.FirstRejected[2].Reason, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    private static string JsonLinesText(Contracts.AtmAlert alert) =>
        System.Text.Json.JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert);
}
