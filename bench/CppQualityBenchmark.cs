using System.Globalization;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;
using SkimGuard.Simulator;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Bench;

/// <summary>
/// The CPP engine's quality on simulated worlds with ground truth: five seeds of each scenario (default, and sparse
/// fraud where only 10 % or 5 % of captured cards are ever cashed out), each simulated, backtested and scored.
/// </summary>
internal static class CppQualityBenchmark
{
    private static readonly (string Name, double CashoutRate, string Goal)[] Scenarios =
    [
        ("default (90 % of captured cards cashed out)", 0.9, "recall and precision >= 0.95, median first cash-out to flag <= 48 h, >= 60 % of captured cards listed before their fraud"),
        ("sparse: 10 % cashed out", 0.10, "recall and precision >= 0.95"),
        ("sparse: 5 % cashed out", 0.05, "recall and precision >= 0.90"),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--grid"))
            return await CppQualityGrid.RunAsync(args);
        var seeds = Args.Int(args, "--seeds", 5);
        var cards = Args.Int(args, "--cards", 50_000);
        var days = Args.Int(args, "--days", 60);
        var report = Args.Text(args, "--report", "docs/quality/cpp-engine.md");
        var lines = new List<string>
        {
            "# CPP engine quality on the simulator",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} with the engine's default options (src/Engine/Cpp/CppOptions.cs). Each row is one simulated",
            $"Mira-Bhayander ({cards:N0} cards, {days} days, 4 skimmers, the busy station ATMs, a phishing-wave neighbourhood and background",
            "fraud), backtested in event-time order and scored against its truth.json. Command:",
            "",
            "```",
            $"dotnet run -c Release --project bench -- cpp-quality --seeds {seeds} --cards {cards} --days {days}",
            "```",
            "",
            "Recall (detectable) counts the skimmers the oracle flags inside the data (docs/quality/cpp-grid.md: a test that knows the",
            "true terminal and start, against the base rate of each moment, Poisson tail below 1e-6); recall (all) counts every skimmer. Precision is the",
            "share of flagged terminals that were skimmed. Hours: from a skimmer's first cash-out to its terminal's flag.",
            "Listed: captured cards sent to their bank as at risk before their first fraud. Prevented: rupees of skimming fraud",
            "that happened after the card was listed. Signature: precision of the counterfeit-signature marks.",
            "",
        };
        foreach (var (name, cashoutRate, goal) in Scenarios)
        {
            lines.Add($"## {name}");
            lines.Add("");
            lines.Add($"Goal: {goal}.");
            lines.Add("");
            lines.Add("| seed | skimmers found (detectable) | recall detectable | recall all | alerts | precision | busy/phishing flags | median h | p90 h | listed before fraud | prevented | signature precision |");
            lines.Add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            var rows = new List<QualityReport>();
            for (var seed = 1; seed <= seeds; seed++)
            {
                var options = new SimulationOptions { Cards = cards, Days = days, Skimmers = 4, Seed = (ulong)seed, CashoutRate = cashoutRate };
                var q = await RunOneAsync(options);
                rows.Add(q);
                lines.Add(Row(seed.ToString(CultureInfo.InvariantCulture), q));
                Console.Error.WriteLine($"{name} seed {seed}: {lines[^1]}");
            }
            lines.Add(Row("all", Pool(rows)));
            lines.Add("");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        await File.WriteAllLinesAsync(report, lines);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    /// <summary>One world simulated, backtested with the default options (or <paramref name="engine"/>) and scored.</summary>
    internal static async Task<QualityReport> RunOneAsync(SimulationOptions options, CppOptions? engine = null)
    {
        var folder = Directory.CreateTempSubdirectory("skimguard-quality-").FullName;
        try
        {
            var truth = SimulationFiles.Write(new Simulation(options), folder);
            var quality = new DetectionQuality(truth);
            var backtest = new Backtest(engine ?? new CppOptions(), AtmRegistry.Load(Path.Combine(folder, SimulationFiles.AtmsFile)));
            backtest.HeldBack += quality.Observe;
            var result = await backtest.RunAsync(Path.Combine(folder, SimulationFiles.TransactionsFile), Path.Combine(folder, SimulationFiles.FraudReportsFile),
                    quality.Observe);
            return quality.Score(result.Alerts, result.CardsAtRisk, result.SignatureMarkedCards);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Row(string label, QualityReport q) => string.Create(CultureInfo.InvariantCulture,
        $"| {label} | {q.FoundSkimmers}/{q.Skimmers} ({q.FoundDetectableSkimmers}/{q.DetectableSkimmers}) | {q.RecallDetectable:F2} | {q.RecallAll:F2} | {q.Alerts} | {q.Precision:F2} | {q.BusyTerminalAlerts}/{q.PhishingNeighbourhoodAlerts} | {q.MedianHoursFirstCashoutToFlag:F1} | {q.P90HoursFirstCashoutToFlag:F1} | {q.ShareListedBeforeFraud:P0} | {(q.SkimmingLossRupees == 0 ? 0 : q.PreventableLossRupees / q.SkimmingLossRupees):P0} | {q.SignaturePrecision:F2} |");

    /// <summary>The seeds pooled: counts summed, ratios recomputed from the sums, hours over all skimmers found.</summary>
    internal static QualityReport Pool(List<QualityReport> rows)
    {
        var hours = rows.SelectMany(r => r.PerSkimmer).Where(s => s.HoursToFlag is not null).Select(s => s.HoursToFlag!.Value).Order().ToList();
        var oracleHours = rows.SelectMany(r => r.PerSkimmer).Where(s => s.Detectable && s.OracleHoursToFlag is not null).Select(s => s.OracleHoursToFlag!.Value).Order().ToList();
        var listed = rows.Sum(r => r.ListedCards);
        int Sum(Func<QualityReport, int> f) => rows.Sum(f);
        var detectable = Sum(r => r.DetectableSkimmers);
        var alerts = Sum(r => r.Alerts);
        var marked = Sum(r => r.SignatureMarkedCards);
        return rows[0] with
        {
            Skimmers = Sum(r => r.Skimmers),
            DetectableSkimmers = detectable,
            FoundSkimmers = Sum(r => r.FoundSkimmers),
            FoundDetectableSkimmers = Sum(r => r.FoundDetectableSkimmers),
            RecallDetectable = detectable == 0 ? 1 : Sum(r => r.FoundDetectableSkimmers) / (double)detectable,
            RecallAll = Sum(r => r.FoundSkimmers) / (double)Sum(r => r.Skimmers),
            Alerts = alerts,
            TrueAlerts = Sum(r => r.TrueAlerts),
            Precision = alerts == 0 ? 1 : Sum(r => r.TrueAlerts) / (double)alerts,
            BusyTerminalAlerts = Sum(r => r.BusyTerminalAlerts),
            PhishingNeighbourhoodAlerts = Sum(r => r.PhishingNeighbourhoodAlerts),
            EchoAlerts = Sum(r => r.EchoAlerts),
            WithdrawnFalseAlerts = Sum(r => r.WithdrawnFalseAlerts),
            WithdrawnTrueAlerts = Sum(r => r.WithdrawnTrueAlerts),
            HubAlerts = Sum(r => r.HubAlerts),
            OtherFalseAlerts = Sum(r => r.OtherFalseAlerts),
            MedianHoursFirstCashoutToFlag = hours.Count == 0 ? null : hours[hours.Count / 2],
            MedianOracleHours = oracleHours.Count == 0 ? null : oracleHours[oracleHours.Count / 2],
            ListedCards = listed,
            AtRiskPrecision = listed == 0 ? 1 : rows.Sum(r => r.AtRiskPrecision * r.ListedCards) / listed,
            OraclePreventableLossRupees = rows.Sum(r => r.OraclePreventableLossRupees),
            PerSkimmer = [.. rows.SelectMany(r => r.PerSkimmer)],
            FalseAlarms = [.. rows.SelectMany(r => r.FalseAlarms)],
            P90HoursFirstCashoutToFlag = hours.Count == 0 ? null : hours[Math.Min(hours.Count - 1, (int)(0.9 * hours.Count))],
            CapturedCards = Sum(r => r.CapturedCards),
            CapturedCardsListedBeforeFraud = Sum(r => r.CapturedCardsListedBeforeFraud),
            ShareListedBeforeFraud = Sum(r => r.CapturedCardsListedBeforeFraud) / (double)Math.Max(1, Sum(r => r.CapturedCards)),
            SkimmingLossRupees = rows.Sum(r => r.SkimmingLossRupees),
            PreventableLossRupees = rows.Sum(r => r.PreventableLossRupees),
            SignatureMarkedCards = marked,
            SignaturePrecision = marked == 0 ? 1 : rows.Sum(r => r.SignaturePrecision * r.SignatureMarkedCards) / marked,
        };
    }
}
