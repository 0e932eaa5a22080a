using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SkimGuard.Models;

namespace SkimGuard.Cli.Commands;

/// <summary>`skimguard evaluate`: the handbook's protocol (train, delay, test; rolling folds) on feed files.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var defaults = new EvaluationOptions { TrainStart = default };
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions, JSON lines (.jsonl or .jsonl.gz), sorted by timestamp", Required = true };
        var reports = new Option<FileInfo>("--reports") { Description = "Fraud reports naming the fraudulent transactions (fraud_txn_ids), sorted by reported_at", Required = true };
        var trainStart = new Option<DateTime>("--train-start") { Description = "First training day of fold 0 (UTC date); the data before it warms the windows", Required = true };
        var trainDays = new Option<int>("--train-days") { Description = "Days of training data per fold", DefaultValueFactory = _ => defaults.TrainDays };
        var delayDays = new Option<int>("--delay-days") { Description = "Days between training and test, while frauds get reported", DefaultValueFactory = _ => defaults.DelayDays };
        var testDays = new Option<int>("--test-days") { Description = "Days of test data per fold", DefaultValueFactory = _ => defaults.TestDays };
        var folds = new Option<int>("--folds") { Description = "Number of folds", DefaultValueFactory = _ => defaults.Folds };
        var step = new Option<int>("--fold-step-days") { Description = "Days between the folds' training starts", DefaultValueFactory = _ => defaults.FoldStepDays };
        var top = new Option<int>("--top-cards") { Description = "k of card precision@k", DefaultValueFactory = _ => defaults.TopCards };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for metrics.json, scores.csv, roc.svg and pr.svg", Required = true };

        var command = new Command("evaluate", "Train and test a model fold by fold under the Fraud Detection Handbook's protocol")
        {
            transactions, reports, trainStart, trainDays, delayDays, testDays, folds, step, top, output,
        };
        var training = new TrainingArguments();
        training.AddTo(command);
        command.SetAction((parse, _) =>
        {
            var (hyperparameters, problem) = training.Read(parse);
            if (problem is not null)
                return Task.FromResult(Fail(problem));
            var options = defaults with
            {
                Training = hyperparameters!,
                TrainStart = new DateTimeOffset(DateTime.SpecifyKind(parse.GetValue(trainStart).Date, DateTimeKind.Utc)),
                TrainDays = parse.GetValue(trainDays), DelayDays = parse.GetValue(delayDays), TestDays = parse.GetValue(testDays),
                Folds = parse.GetValue(folds), FoldStepDays = parse.GetValue(step), TopCards = parse.GetValue(top),
            };
            foreach (var (name, value) in new[] { ("--train-days", options.TrainDays), ("--test-days", options.TestDays), ("--folds", options.Folds), ("--fold-step-days", options.FoldStepDays), ("--top-cards", options.TopCards) })
                if (value < 1)
                    return Task.FromResult(Fail($"{name} must be at least 1, not {value}"));
            if (options.DelayDays < 0)
                return Task.FromResult(Fail($"--delay-days must not be negative, not {options.DelayDays}"));
            foreach (var file in new[] { parse.GetValue(transactions)!, parse.GetValue(reports)! })
                if (!file.Exists)
                    return Task.FromResult(Fail($"{file.FullName} does not exist"));
            try
            {
                return Task.FromResult(Run(options, parse.GetValue(transactions)!.FullName, parse.GetValue(reports)!.FullName, parse.GetValue(output)!.FullName));
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
            {
                return Task.FromResult(Fail(e.Message)); // invalid feed lines, or a training period without both classes
            }
        });
        return command;
    }

    private static int Run(EvaluationOptions options, string transactions, string reports, string folder)
    {
        var evaluation = new HandbookEvaluation(options);
        var (from, to) = evaluation.Span;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        FeatureTable table;
        using (var bar = new ConsoleProgress("features"))
            table = FeatureTable.Build(transactions, reports, from, to, new Progress<(long Events, DateTimeOffset Time)>(p =>
                bar.Update((p.Time - from.AddDays(-30)) / (to - from.AddDays(-30)), $"{p.Events:N0} events, at {p.Time:yyyy-MM-dd}")));
        Console.WriteLine($"{table.Count:N0} transactions in {from:yyyy-MM-dd}..{to:yyyy-MM-dd}, features in {clock.Elapsed.TotalSeconds:F0} s");

        Console.WriteLine("fold  train                  frauds    test                   rows    frauds   AUC ROC  avg prec  card prec@" + options.TopCards + "  (perfect)");
        var result = evaluation.Run(table, f => Console.WriteLine(
            $"{f.Fold,4}  {f.TrainFrom:MM-dd}..{f.TrainTo.AddDays(-1):MM-dd} {f.TrainRows,8:N0} {f.TrainFrauds,6:N0}    {f.TestFrom:MM-dd}..{f.TestTo.AddDays(-1):MM-dd} {f.TestRows,9:N0} {f.TestFrauds,6:N0}   {f.AucRoc,7:F3}  {f.AveragePrecision,8:F3}  {f.CardPrecisionAtK,8:F3}  ({f.PerfectCardPrecisionAtK:F3})"));
        var (auc, ap, cp) = result.Mean;
        Console.WriteLine($"mean{new string(' ', 72)}{auc,7:F3}  {ap,8:F3}  {cp,8:F3}   ({clock.Elapsed.TotalSeconds:F0} s)");

        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "metrics.json"), JsonSerializer.SerializeToUtf8Bytes(result.Report(), ModelsJson.Options));
        WriteScores(Path.Combine(folder, "scores.csv"), table, result);
        var byFold = result.Scored.GroupBy(s => s.Fold).ToList();
        File.WriteAllText(Path.Combine(folder, "roc.svg"), CurvePlot.Svg("ROC per fold", "false positive rate", "true positive rate",
            [.. byFold.Select(g => ($"fold {g.Key}", RankingMetrics.RocCurve([.. g.Select(s => s.Score)], [.. g.Select(s => s.Label)])))]));
        File.WriteAllText(Path.Combine(folder, "pr.svg"), CurvePlot.Svg("Precision-recall per fold", "recall", "precision",
            [.. byFold.Select(g => ($"fold {g.Key}", RankingMetrics.PrecisionRecallCurve([.. g.Select(s => s.Score)], [.. g.Select(s => s.Label)])))]));
        Console.WriteLine($"wrote {folder}/metrics.json, scores.csv, roc.svg, pr.svg");
        return 0;
    }

    private static void WriteScores(string path, FeatureTable table, EvaluationResult result)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.WriteLine("fold,txn_id,card_token,timestamp,score,label");
        foreach (var s in result.Scored)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Fold},{Csv(table.TxnIds[s.Row])},{Csv(table.CardTokens[s.Row])},{table.Times[s.Row]:yyyy-MM-ddTHH:mm:ssZ},{s.Score:G9},{(s.Label ? 1 : 0)}"));
    }

    private static string Csv(string value) => value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }
}
