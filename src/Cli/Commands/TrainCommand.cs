using System.CommandLine;
using System.Text.Json;
using SkimGuard.Engine.Features;
using SkimGuard.Models;

namespace SkimGuard.Cli.Commands;

/// <summary>`skimguard train`: a fraud model from feed files, with its metrics and model card.</summary>
internal static class TrainCommand
{
    private const int HoldoutDays = 7;

    public static Command Create()
    {
        var transactions = new Option<FileInfo>("--transactions") { Description = "Transactions, JSON lines (.jsonl or .jsonl.gz), sorted by timestamp", Required = true };
        var reports = new Option<FileInfo>("--reports") { Description = "Fraud reports naming the fraudulent transactions (fraud_txn_ids), sorted by reported_at", Required = true };
        var from = new Option<DateTime>("--from") { Description = "First training day (UTC date); the data before it warms the windows", Required = true };
        var to = new Option<DateTime>("--to") { Description = "End of training (UTC date, exclusive)", Required = true };
        var labelsKnownBy = new Option<DateTime?>("--labels-known-by") { Description = "Only reports received by then label the rows (default: every report in the file, as when training now)" };
        var output = new Option<FileInfo>("--out") { Description = "The model file, e.g. models/NAME.zip; NAME.metrics.json and NAME.md are written beside it", Required = true };
        var command = new Command("train", "Train a FastTree fraud model on feed files and write it with its metrics and model card")
        {
            transactions, reports, from, to, labelsKnownBy, output,
        };
        var training = new TrainingArguments();
        training.AddTo(command);
        command.SetAction((parse, _) =>
        {
            var (options, problem) = training.Read(parse);
            var start = Utc(parse.GetValue(from));
            var end = Utc(parse.GetValue(to));
            problem ??= end <= start ? $"--to ({end:yyyy-MM-dd}) must be after --from ({start:yyyy-MM-dd})" : null;
            foreach (var file in new[] { parse.GetValue(transactions)!, parse.GetValue(reports)! })
                problem ??= file.Exists ? null : $"{file.FullName} does not exist";
            if (problem is not null)
            {
                Console.Error.WriteLine($"error: {problem}");
                return Task.FromResult(2);
            }
            var known = parse.GetValue(labelsKnownBy) is { } k ? Utc(k) : DateTimeOffset.MaxValue;
            try
            {
                return Task.FromResult(Run(parse.GetValue(transactions)!.FullName, parse.GetValue(reports)!.FullName, start, end, known, options!, parse.GetValue(output)!.FullName));
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}"); // invalid feed lines, or a training period without both classes
                return Task.FromResult(2);
            }
        });
        return command;
    }

    private static int Run(string transactions, string reports, DateTimeOffset from, DateTimeOffset to, DateTimeOffset labelsKnownBy, TrainingOptions options, string path)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The week after training, where the feeds have it, is scored out of sample for the card.
        var holdoutTo = to.AddDays(HoldoutDays);
        FeatureTable table;
        using (var bar = new ConsoleProgress("features"))
            table = FeatureTable.Build(transactions, reports, from, holdoutTo, new Progress<(long Events, DateTimeOffset Time)>(p =>
                bar.Update((p.Time - from.AddDays(-30)) / (holdoutTo - from.AddDays(-30)), $"{p.Events:N0} events, at {p.Time:yyyy-MM-dd}")));
        var trainRows = Enumerable.Range(0, table.Count).Where(r => table.Times[r] < to).ToList();
        var holdoutRows = Enumerable.Range(0, table.Count).Where(r => table.Times[r] >= to).ToList();
        if (labelsKnownBy == DateTimeOffset.MaxValue)
            labelsKnownBy = table.CardReports.Values.SelectMany(r => r).Select(r => r.ReportedAt).DefaultIfEmpty(to).Max();
        Console.WriteLine($"{trainRows.Count:N0} training transactions in {from:yyyy-MM-dd}..{to:yyyy-MM-dd}, features in {clock.Elapsed.TotalSeconds:F0} s; training {options.Trees} trees");

        var model = ModelTrainer.Train(table, trainRows, labelsKnownBy, options);
        Console.WriteLine($"trained on {model.Rows:N0} rows ({model.Frauds:N0} fraud) in {clock.Elapsed.TotalSeconds:F0} s");
        var metrics = new List<ModelMetrics> { Measure("training period (in sample)", model, table, trainRows, r => table.IsFraudKnownBy(r, labelsKnownBy), options.Seed) };
        if (holdoutRows.Count > 0 && holdoutRows.Any(table.IsFraud))
            metrics.Add(Measure($"the {HoldoutDays} days after (out of sample, every report)", model, table, holdoutRows, table.IsFraud, options.Seed));

        var metadata = new ModelMetadata
        {
            FeatureSchemaVersion = FeatureSchema.Version, Features = FeatureSchema.Names, TrainedAt = DateTimeOffset.UtcNow,
            TrainFrom = from, TrainTo = to, LabelsKnownBy = labelsKnownBy, Rows = model.Rows, Frauds = model.Frauds, Hyperparameters = options,
        };
        FraudModel.Save(model.Context, model.Transformer, model.InputSchema, metadata, path);
        var name = Path.GetFileNameWithoutExtension(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        File.WriteAllBytes(Path.Combine(folder, $"{name}.metrics.json"), JsonSerializer.SerializeToUtf8Bytes(metrics, ModelsJson.Options));
        File.WriteAllText(Path.Combine(folder, $"{name}.md"), ModelCard.Write(name, $"`{Path.GetFileName(transactions)}`, `{Path.GetFileName(reports)}`", metadata, metrics));
        foreach (var m in metrics)
            Console.WriteLine($"  {m.Rows}: AUC ROC {m.AucRoc:F4}, average precision {m.AveragePrecision:F4} ({m.Count:N0} rows, {m.Frauds:N0} fraud)");
        Console.WriteLine($"wrote {path} ({FraudModel.Load(path).Version}), {name}.metrics.json and {name}.md in {clock.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    private static ModelMetrics Measure(string rows, TrainedModel model, FeatureTable table, List<int> indices, Func<int, bool> label, int seed)
    {
        var scores = indices.ConvertAll(r => model.Scorer.Score(table.Features(r)));
        var labels = indices.ConvertAll(r => label(r));
        return new ModelMetrics
        {
            Rows = rows, Count = indices.Count, Frauds = labels.Count(l => l),
            AucRoc = RankingMetrics.AucRoc(scores, labels), AveragePrecision = RankingMetrics.AveragePrecision(scores, labels),
            PermutationImportance = PermutationImportance.Compute(model.Scorer, table, indices, label, seed),
        };
    }

    private static DateTimeOffset Utc(DateTime date) => new(DateTime.SpecifyKind(date.Date, DateTimeKind.Utc));
}
