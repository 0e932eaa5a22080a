using System.Diagnostics;
using SkimGuard.Contracts;
using SkimGuard.Simulator;

namespace SkimGuard.Bench;

/// <summary>
/// How fast `skimguard simulate` writes records: the simulation alone (a sink that only counts), then the same
/// world written to files. Records are transactions plus fraud reports.
/// </summary>
internal static class SimulatorBenchmark
{
    public static int Run(string[] args)
    {
        var cards = Args.Int(args, "--cards", 1_000_000);
        var days = Args.Int(args, "--days", 90);
        var folder = Args.Text(args, "--out", Path.Combine(Path.GetTempPath(), "skimguard-bench-sim"));
        var report = Args.Text(args, "--report", "docs/benchmarks/simulator.md");
        var options = new SimulationOptions { Cards = cards, Days = days, Skimmers = 8, Seed = 7 };

        Console.Error.WriteLine($"simulation only: {cards:N0} cards, {days} days ...");
        var counting = new CountingSink();
        var (worldSeconds, runSeconds) = Time(options, sim => sim.Run(counting));
        var simulateOnly = counting.Records / runSeconds;

        Console.Error.WriteLine($"to files in {folder} ...");
        var (_, fileSeconds) = Time(options, sim => SimulationFiles.Write(sim, folder));
        var bytes = Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length);
        var toFiles = counting.Records / fileSeconds;
        var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;
        Directory.Delete(folder, recursive: true);

        var lines = new[]
        {
            "# Simulator throughput",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on this project's machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}, Release build.",
            "",
            "Command:",
            "",
            "```",
            $"dotnet run -c Release --project bench -- simulator --cards {cards} --days {days}",
            "```",
            "",
            $"World: {cards:N0} cards, {days} days, 8 skimmers, seed 7: {counting.Transactions:N0} transactions and {counting.Reports:N0} fraud reports ({counting.Records:N0} records, {bytes / 1e9:F2} GB of JSON lines).",
            "",
            "| what | seconds | records/s |",
            "| --- | ---: | ---: |",
            $"| building the world (cards, terminals, tokenising {cards:N0} PANs) | {worldSeconds:F1} | |",
            $"| simulation alone (records counted, not written) | {runSeconds:F1} | {simulateOnly:N0} |",
            $"| simulation written to files (`skimguard simulate`) | {fileSeconds:F1} | {toFiles:N0} |",
            "",
            $"Peak working set: {peakMb:N0} MB. Target: at least 200,000 records/s to a file.",
        };
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        File.WriteAllLines(report, lines);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    private static (double World, double Run) Time(SimulationOptions options, Action<Simulation> run)
    {
        var clock = Stopwatch.StartNew();
        var simulation = new Simulation(options);
        var world = clock.Elapsed.TotalSeconds;
        clock.Restart();
        run(simulation);
        return (world, clock.Elapsed.TotalSeconds);
    }

    private sealed class CountingSink : ISimulationSink
    {
        public long Transactions { get; private set; }
        public long Reports { get; private set; }
        public long Records => Transactions + Reports;

        public void Transaction(Transaction transaction) => Transactions++;

        public void FraudReport(FraudReport report) => Reports++;
    }
}
