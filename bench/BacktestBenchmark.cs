using System.Diagnostics;
using System.Globalization;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Contracts.Validation;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;
using SkimGuard.Engine.Windows;
using SkimGuard.Simulator;

namespace SkimGuard.Bench;

/// <summary>
/// `skimguard backtest` speed over files written by `skimguard simulate`: events per second with parsing, peak memory,
/// and the engine's own allocations per transaction on the steady path (transactions already parsed).
/// </summary>
internal static class BacktestBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var folder = Args.Text(args, "--folder", "");
        if (folder.Length == 0 || !File.Exists(Path.Combine(folder, SimulationFiles.TransactionsFile)))
        {
            Console.Error.WriteLine("usage: bench backtest --folder DIR   (DIR written by: skimguard simulate --cards N --days N --out DIR)");
            return 2;
        }
        var transactions = Path.Combine(folder, SimulationFiles.TransactionsFile);
        var reports = Path.Combine(folder, SimulationFiles.FraudReportsFile);
        var truth = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(folder, SimulationFiles.TruthFile)), GroundTruthJsonContext.Default.GroundTruth)!;
        var report = Args.Text(args, "--report", $"docs/benchmarks/backtest-{truth.Options.Cards}-cards.md");
        var bytes = new FileInfo(transactions).Length + new FileInfo(reports).Length;

        Console.Error.WriteLine($"backtest over {folder} ...");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var pausedBefore = GC.GetTotalPauseDuration();
        var collectionsBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2));
        var result = await new Backtest(new CppOptions(), AtmRegistry.Load(Path.Combine(folder, SimulationFiles.AtmsFile))).RunAsync(transactions, reports,
            progress: new Progress<BacktestProgress>(p => Console.Error.Write($"\r{p.EventTime:yyyy-MM-dd} {p.Events:N0} events, {p.Events / p.Elapsed.TotalSeconds:N0}/s, GC paused {GC.GetTotalPauseDuration() / p.Elapsed:P0}   ")));
        var allocatedPerEvent = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)result.Events;
        var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;
        var pausedShare = (GC.GetTotalPauseDuration() - pausedBefore) / result.Elapsed;
        var collections = $"{GC.CollectionCount(0) - collectionsBefore.Gen0:N0} / {GC.CollectionCount(1) - collectionsBefore.Gen1:N0} / {GC.CollectionCount(2) - collectionsBefore.Gen2:N0}";
        var gcSettings = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase))
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").DefaultIfEmpty("none").ToList();
        Console.Error.WriteLine();

        Console.Error.WriteLine("engine alone on 1,000,000 parsed transactions ...");
        var (engineRate, engineBytes) = await EngineAloneAsync(transactions, 1_000_000);

        var lines = new[]
        {
            $"# Backtest speed: {truth.Options.Cards:N0} cards, {truth.Options.Days} days",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on this project's machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}, Release build. Commands:",
            "",
            "```",
            $"dotnet run -c Release --project src/Cli -- simulate --cards {truth.Options.Cards} --days {truth.Options.Days} --skimmers {truth.Options.Skimmers} --atms {truth.Options.Atms} --seed {truth.Options.Seed} --out {folder}",
            $"dotnet run -c Release --project bench -- backtest --folder {folder}",
            "```",
            "",
            "| what | figure |",
            "| --- | ---: |",
            $"| events (transactions + reports) | {result.Events:N0} |",
            $"| input | {bytes / 1e9:F2} GB of JSON lines |",
            $"| wall time, parsing and validation included | {result.Elapsed.TotalSeconds:F1} s |",
            $"| **events per second** | **{result.Events / result.Elapsed.TotalSeconds:N0}** |",
            $"| peak working set | {peakMb:N0} MB |",
            $"| cards held at the end (state is bounded by the look-back) | {result.CardsInStoreAtEnd:N0} |",
            $"| terminal scans / explained away / alerts | {result.Counters.Scans:N0} / {result.Counters.ExplainedAway:N0} / {result.Alerts.Count} |",
            $"| allocated per event, whole run (parsing included) | {allocatedPerEvent:N0} B |",
            $"| time with threads paused by the garbage collector | {pausedShare:P0} |",
            $"| collections gen0 / gen1 / gen2 | {collections} |",
            $"| GC settings from the environment | {string.Join(' ', gcSettings)} |",
            $"| engine alone, transactions already parsed | {engineRate:N0} per second, {engineBytes:N0} B allocated per transaction |",
            "",
            "The replay parses the transaction feed on a second thread (ReadAhead), so parsing and the engine run on the two cores.",
        };
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        await File.WriteAllLinesAsync(report, lines);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    /// <summary>The engine's own rate and allocations: the first <paramref name="count"/> transactions, parsed beforehand.</summary>
    private static async Task<(double Rate, double BytesPerTransaction)> EngineAloneAsync(string path, int count)
    {
        var parsed = new List<Transaction>(count);
        using (var stream = JsonLines.OpenRead(path))
            foreach (var line in JsonLines.ReadLines(stream).Take(count))
                if (TransactionReader.Read(line.Utf8, ReadContext.Internal).Record is { } tx)
                    parsed.Add(tx);
        var engine = new CompromiseEngine(new InProcessWindowStore(), new NoSink(), new CppOptions(), AtmRegistry.Empty);
        // Warm up on the first tenth (JIT, dictionaries growing), measure the rest.
        var warm = parsed.Count / 10;
        for (var i = 0; i < warm; i++)
            await engine.ProcessAsync(parsed[i]);
        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = warm; i < parsed.Count; i++)
            await engine.ProcessAsync(parsed[i]);
        var measured = parsed.Count - warm;
        return (measured / clock.Elapsed.TotalSeconds, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)measured);
    }

    private sealed class NoSink : IAlertSink
    {
        public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
