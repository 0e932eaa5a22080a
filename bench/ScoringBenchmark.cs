using System.Diagnostics;
using Microsoft.ML;
using SkimGuard.Contracts;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Replay;
using SkimGuard.Models;
using SkimGuard.Simulator;

namespace SkimGuard.Bench;

/// <summary>
/// Fraud scoring speed on one thread: feature extraction from the windows, the fast tree evaluator against ML.NET's
/// prediction engine on the same vectors (with the feature vector ready), and FastTree training on about a million
/// transactions of a simulated world.
/// </summary>
internal static class ScoringBenchmark
{
    public static int Run(string[] args)
    {
        var cards = Args.Int(args, "--cards", 30_000);
        var days = Args.Int(args, "--days", 45);
        var modelPath = Args.Text(args, "--model", "models/default.zip");
        var report = Args.Text(args, "--report", "docs/benchmarks/scoring.md");

        Console.Error.WriteLine($"simulating {cards:N0} cards x {days} days ...");
        var world = SimulationRecords.Of(new SimulationOptions { Cards = cards, Days = days, Skimmers = 8, Seed = 7 });
        var events = world.Events;

        // Features: every event through the windows, a vector extracted for every transaction.
        var width = FeatureSchema.Count;
        var vectors = new float[world.Transactions.Count * width];
        var fraudIds = world.Reports.SelectMany(r => (r.FraudTxnIds ?? []).Select(id => (r.BankId, id))).ToHashSet();
        var labels = new bool[world.Transactions.Count];
        var windows = new FeatureWindows();
        var clock = Stopwatch.StartNew();
        var row = 0;
        foreach (var e in events)
        {
            if (e.Transaction is { } tx)
            {
                windows.Extract(tx, vectors.AsSpan(row * width, width));
                labels[row++] = fraudIds.Contains((tx.BankId, tx.TxnId));
                windows.Observe(tx);
            }
            else
                windows.Observe(e.Report!);
        }
        var extractSeconds = clock.Elapsed.TotalSeconds;

        // Scoring with the vector ready: the fast evaluator over every vector, several passes.
        var model = FraudModel.Load(modelPath);
        var passes = 5;
        float checksum = 0;
        clock.Restart();
        for (var pass = 0; pass < passes; pass++)
            for (var i = 0; i < row; i++)
                checksum += model.Score(vectors.AsSpan(i * width, width));
        var fastSeconds = clock.Elapsed.TotalSeconds;
        var fastRate = passes * (double)row / fastSeconds;

        // ML.NET's prediction engine on a sample of the same vectors, and the largest disagreement.
        var sample = Math.Min(row, 200_000);
        using var engine = new MLContext().Model.CreatePredictionEngine<FeatureRow, Prediction>(model.Transformer, inputSchemaDefinition: FeatureRow.Schema());
        var input = new FeatureRow { Features = new float[width] };
        var output = new Prediction();
        double worst = 0;
        clock.Restart();
        for (var i = 0; i < sample; i++)
        {
            vectors.AsSpan(i * width, width).CopyTo(input.Features);
            engine.Predict(input, ref output);
            worst = Math.Max(worst, Math.Abs(output.Probability - model.Score(input.Features)));
        }
        var engineSeconds = clock.Elapsed.TotalSeconds;
        var engineRate = sample / engineSeconds;

        // Training on the whole world: the windows' vectors and their labels, as `skimguard train` does.
        var table = FeatureTable.FromVectors(vectors.AsSpan(0, row * width), labels.AsSpan(0, row));
        clock.Restart();
        var trained = ModelTrainer.Train(table, [.. Enumerable.Range(0, row)], DateTimeOffset.MaxValue, new TrainingOptions());
        var trainSeconds = clock.Elapsed.TotalSeconds;

        var lines = new[]
        {
            "# Fraud scoring and training speed",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on this project's machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}, Release build, one thread.",
            "",
            "Command:",
            "",
            "```",
            $"dotnet run -c Release --project bench -- scoring --cards {cards} --days {days} --model {modelPath}",
            "```",
            "",
            $"World: {cards:N0} simulated cards, {days} days, seed 7: {row:N0} transactions, {labels.Count(l => l):N0} reported fraud. Model: `{model.Version}` ({model.Metadata.Hyperparameters.Trees} trees of {model.Metadata.Hyperparameters.Leaves} leaves, {width} features).",
            "",
            "| what | transactions | seconds | transactions/s |",
            "| --- | ---: | ---: | ---: |",
            $"| features: every event through the windows, a vector per transaction | {row:N0} | {extractSeconds:F2} | {row / extractSeconds:N0} |",
            $"| scoring, vector ready: SkimGuard's tree evaluator ({passes} passes) | {passes * (long)row:N0} | {fastSeconds:F2} | {fastRate:N0} |",
            $"| scoring, vector ready: ML.NET PredictionEngine | {sample:N0} | {engineSeconds:F2} | {engineRate:N0} |",
            $"| training FastTree ({new TrainingOptions().Trees} trees) on every transaction | {row:N0} | {trainSeconds:F1} | |",
            "",
            $"Largest difference between the two scorers over the {sample:N0} vectors: {worst:E2} (the goal: within 1e-6).",
            $"Goal: at least 500,000 transactions/s per core with the vector ready; training on a million transactions in minutes. Trained model's rows: {trained.Rows:N0}, frauds {trained.Frauds:N0}. (Checksum {checksum:F1}.)",
        };
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        File.WriteAllLines(report, lines);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    private sealed class Prediction
    {
        public float Probability { get; set; }
    }
}
