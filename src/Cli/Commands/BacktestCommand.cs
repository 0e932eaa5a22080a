using System.CommandLine;
using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Replay;
using SkimGuard.Simulator;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Cli.Commands;

/// <summary>`skimguard backtest`: the CPP engine over transaction and report files, in event-time order.</summary>
internal static class BacktestCommand
{
    public static Command Create()
    {
        var defaults = new CppOptions();
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions, JSON lines (.jsonl or .jsonl.gz), sorted by timestamp", Required = true };
        var reports = new Option<FileInfo>("--reports") { Description = "Fraud reports, JSON lines, sorted by reported_at", Required = true };
        var atms = new Option<FileInfo?>("--atms") { Description = "ATM registry CSV, for alert locations" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder for alerts.jsonl, cards_at_risk.jsonl and report.json", Required = true };
        var truth = new Option<FileInfo?>("--truth") { Description = "The simulator's truth.json: score the alerts against it" };
        var lookBack = new Option<int>("--look-back-days") { Description = "L: days before a first fraud whose visits count as exposures", DefaultValueFactory = _ => (int)defaults.LookBack.TotalDays };
        var alpha = new Option<double>("--alert-alpha") { Description = "Flag when the best window's Poisson tail is at most this divided by the active terminals", DefaultValueFactory = _ => defaults.AlertAlpha };
        var minK = new Option<int>("--min-compromised") { Description = "Fewest strongly compromised visitors (counterfeit report or cash-out) for an alert", DefaultValueFactory = _ => defaults.MinCompromised };
        var minRisk = new Option<double>("--min-relative-risk") { Description = "Fewest times the expected count k must reach", DefaultValueFactory = _ => defaults.MinRelativeRisk };
        var maxWindow = new Option<int>("--max-window-days") { Description = "Longest skimmer period scanned", DefaultValueFactory = _ => defaults.MaxWindowDays };
        var model = new Option<FileInfo?>("--model") { Description = "A fraud model (models/NAME.zip): score every transaction with it, as the detector does" };
        var explain = new Option<string[]>("--explain") { Description = "Transaction ids whose score to explain (top feature contributions); needs --model", AllowMultipleArgumentsPerToken = true };
        var modelThreshold = new Option<double>("--model-threshold") { Description = "A card-present score at least this marks the card as suspected compromised", DefaultValueFactory = _ => defaults.ModelSuspicionThreshold };
        var modelWeight = new Option<double>("--model-weight") { Description = "Weight of a model mark per unit of score (0 turns model marks off)", DefaultValueFactory = _ => defaults.ModelSuspicionWeight };
        var hubRule = new Option<bool>("--explain-by-concentration") { Description = "The hub rule: only a more concentrated flagged terminal explains another's cards, and alerts so explained later are withdrawn (docs/cpp-engine.md, step 4)" };
        var signatureWeight = new Option<double>("--signature-weight") { Description = "Weight of a counterfeit-signature cash-out (0 turns early evidence off)", DefaultValueFactory = _ => defaults.CounterfeitSignatureWeight };

        var command = new Command("backtest", "Run the CPP engine over feed files and write the alerts it would have raised")
        {
            transactions, reports, atms, output, truth, lookBack, alpha, minK, minRisk, maxWindow, signatureWeight, hubRule, model, explain, modelThreshold, modelWeight,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = defaults with
            {
                LookBack = TimeSpan.FromDays(parse.GetValue(lookBack)),
                AlertAlpha = parse.GetValue(alpha),
                MinCompromised = parse.GetValue(minK),
                MinRelativeRisk = parse.GetValue(minRisk),
                MaxWindowDays = parse.GetValue(maxWindow),
                CounterfeitSignatureWeight = parse.GetValue(signatureWeight),
                ModelSuspicionThreshold = parse.GetValue(modelThreshold),
                ModelSuspicionWeight = parse.GetValue(modelWeight),
                ExplainByConcentration = parse.GetValue(hubRule),
            };
            var explained = (parse.GetValue(explain) ?? []).ToHashSet(StringComparer.Ordinal);
            if (explained.Count > 0 && parse.GetValue(model) is null)
                return Fail("--explain needs --model");
            if (parse.GetValue(model) is { Exists: false } missing)
                return Fail($"{missing.FullName} does not exist");
            foreach (var file in new[] { parse.GetValue(transactions)!, parse.GetValue(reports)! }.Concat(new[] { parse.GetValue(atms), parse.GetValue(truth) }.OfType<FileInfo>()))
                if (!file.Exists)
                    return Fail($"{file.FullName} does not exist");
            return await RunAsync(options, parse.GetValue(model)?.FullName, explained, parse.GetValue(transactions)!.FullName, parse.GetValue(reports)!.FullName,
                parse.GetValue(atms)?.FullName, parse.GetValue(output)!.FullName, parse.GetValue(truth)?.FullName, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CppOptions options, string? modelPath, IReadOnlySet<string> explained, string transactions, string reports, string? atms, string folder, string? truthPath, CancellationToken cancellationToken)
    {
        var registry = atms is null ? AtmRegistry.Empty : AtmRegistry.Load(atms);
        var truth = truthPath is null ? null : JsonSerializer.Deserialize(File.ReadAllBytes(truthPath), GroundTruthJsonContext.Default.GroundTruth);
        var quality = truth is null ? null : new DetectionQuality(truth);
        using var bar = new ConsoleProgress("backtest");
        var scoring = ModelScoring(modelPath, explained);
        var backtest = new Backtest(options, registry, scoring);
        // Why each significant terminal was not flagged: for the analyst asking about a terminal, and the report's misses.
        var held = new List<HeldBack>();
        backtest.HeldBack += held.Add;
        if (quality is not null)
            backtest.HeldBack += quality.Observe;
        var result = await backtest.RunAsync(transactions, reports,
            quality is null ? null : quality.Observe,
            new BacktestProgressBar(bar, truth), cancellationToken);
        bar.Finish();

        Directory.CreateDirectory(folder);
        JsonLines.WriteAll(Path.Combine(folder, "alerts.jsonl"), result.Alerts, ContractsJsonContext.Default.AtmAlert);
        JsonLines.WriteAll(Path.Combine(folder, "cards_at_risk.jsonl"), result.CardsAtRisk, ContractsJsonContext.Default.CardsAtRisk);
        JsonLines.WriteAll(Path.Combine(folder, "held_back.jsonl"), held, ReportJsonContext.Default.HeldBack);
        Console.WriteLine($"{result.Events:N0} events in {result.Elapsed.TotalSeconds:F1} s ({result.Events / result.Elapsed.TotalSeconds:N0}/s): "
            + $"{result.Alerts.Count} alerts, {result.CardsAtRisk.Count} cards-at-risk lists, {result.Counters.SignatureMarks:N0} counterfeit-signature marks, {result.Counters.Scored:N0} scored by {scoring?.ModelVersion ?? "no model"} ({result.Counters.ModelMarks:N0} model marks), "
            + $"{result.Counters.Scans:N0} terminal scans, {result.Counters.ExplainedAway:N0} explained away, {result.Counters.LocalEchoes:N0} held as local echoes, "
            + $"{result.Counters.AlertsWithdrawn:N0} withdrawn, {result.Counters.Duplicates:N0} duplicates");
        ReportRejected("transactions", result.Transactions);
        ReportRejected("fraud reports", result.Reports);
        if (result.OutOfOrder > 0)
            Console.WriteLine($"warning: {result.OutOfOrder:N0} events were older than an event before them; sort feeds by event time");
        foreach (var alert in result.Alerts)
            Console.WriteLine($"  {(alert.Status == AlertStatus.Withdrawn ? "withdrawn" : "flag"),-9} {alert.TerminalId,-14} {alert.Location?.Locality,-16} first {alert.FirstFlaggedAt:yyyy-MM-dd HH:mm}  k={alert.CompromisedCards:F1} n={alert.ExposedCards} expected={alert.Expected:F2} p={alert.PValue:E1} window {alert.WindowFrom:MM-dd}..{alert.WindowTo:MM-dd} at risk {alert.CardsAtRisk}");
        if (quality is not null)
        {
            var report = quality.Score(result.Alerts, result.CardsAtRisk, result.SignatureMarkedCards);
            await File.WriteAllBytesAsync(Path.Combine(folder, "report.json"), JsonSerializer.SerializeToUtf8Bytes(report, ReportJsonContext.Default.QualityReport), cancellationToken);
            Console.WriteLine($"skimmers found {report.FoundSkimmers}/{report.Skimmers} (detectable {report.FoundDetectableSkimmers}/{report.DetectableSkimmers}); "
                + $"alerts real {report.TrueAlerts}/{report.Alerts}; median hours first cash-out to flag {report.MedianHoursFirstCashoutToFlag:F1} (p90 {report.P90HoursFirstCashoutToFlag:F1}); "
                + $"captured cards listed before fraud {report.ShareListedBeforeFraud:P0}; preventable loss Rs {report.PreventableLossRupees:N0} of Rs {report.SkimmingLossRupees:N0}");
        }
        return 0;
    }

    private static void ReportRejected(string feed, FeedStats stats)
    {
        if (stats.Rejected == 0)
            return;
        Console.WriteLine($"{feed}: {stats.Rejected:N0} of {stats.Lines:N0} lines rejected");
        foreach (var line in stats.FirstRejected.Take(10))
            Console.WriteLine($"  line {line.Line}: {line.Reason}");
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }

    private sealed class BacktestProgressBar(ConsoleProgress bar, GroundTruth? truth) : IProgress<BacktestProgress>
    {
        public void Report(BacktestProgress value)
        {
            var fraction = truth is null ? 0 : (value.EventTime - truth.Options.Start).TotalDays / truth.Options.Days;
            bar.Update(fraction, $"{value.EventTime:yyyy-MM-dd}  {value.Events:N0} events  {value.Events / Math.Max(0.001, value.Elapsed.TotalSeconds):N0}/s  {value.Alerts} alerts");
        }
    }

    /// <summary>The model's scoring for the replay, printing the explanation of each transaction asked for.</summary>
    private static Engine.Features.FraudScoring? ModelScoring(string? modelPath, IReadOnlySet<string> explained)
    {
        if (modelPath is null)
            return null;
        var model = Models.FraudModel.Load(modelPath);
        Console.WriteLine($"scoring with {model.Version} (trained {model.Metadata.TrainFrom:yyyy-MM-dd}..{model.Metadata.TrainTo:yyyy-MM-dd})");
        var scoring = new Engine.Features.FraudScoring(() => model);
        if (explained.Count > 0)
            scoring.Scored += (tx, features, score) =>
            {
                if (!explained.Contains(tx.TxnId))
                    return;
                var contributions = model.Explain(features.Span, out var baseValue);
                Console.WriteLine($"explain {tx.TxnId} ({tx.BankId}, {tx.Timestamp:yyyy-MM-dd HH:mm} at {tx.TerminalId}): score {score:F4}, base margin {baseValue:F3}");
                foreach (var (feature, value, contribution) in contributions.Take(10))
                    Console.WriteLine($"  {contribution,8:+0.000;-0.000}  {feature} = {value:G6}");
            };
        return scoring;
    }
}
