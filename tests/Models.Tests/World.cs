using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Features;
using SkimGuard.Models;
using SkimGuard.Simulator;

namespace SkimGuard.Models.Tests;

/// <summary>
/// A small simulated town written to feed files once per test run (1,500 cards over 45 days with three skimmers), its
/// feature table for days 30 to 45, and a small model trained on days 30 to 38.
/// </summary>
public sealed class World : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset TableFrom = Start.AddDays(30);
    public static readonly DateTimeOffset TableTo = Start.AddDays(45);
    public static readonly DateTimeOffset TrainTo = Start.AddDays(38);
    public static readonly TrainingOptions SmallModel = new() { Trees = 40, Leaves = 8, MinRowsPerLeaf = 10 };

    public World()
    {
        Directory.CreateDirectory(Folder);
        var records = SimulationRecords.Of(new SimulationOptions { Cards = 1500, Days = 45, Skimmers = 3, Seed = 11, Atms = 150, Start = Start });
        Transactions = records.Transactions;
        Reports = records.Reports;
        JsonLines.WriteAll(TransactionsPath, Transactions, ContractsJsonContext.Default.Transaction);
        JsonLines.WriteAll(ReportsPath, Reports, ContractsJsonContext.Default.FraudReport);
        Table = FeatureTable.Build(TransactionsPath, ReportsPath, TableFrom, TableTo);
        Model = ModelTrainer.Train(Table, [.. Enumerable.Range(0, Table.Count).Where(r => Table.Times[r] < TrainTo)], TrainTo.AddDays(7), SmallModel);
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), $"skimguard-models-{Guid.NewGuid():N}");
    public string TransactionsPath => Path.Combine(Folder, "transactions.jsonl");
    public string ReportsPath => Path.Combine(Folder, "fraud_reports.jsonl");
    public List<Transaction> Transactions { get; }
    public List<FraudReport> Reports { get; }
    public FeatureTable Table { get; }
    public TrainedModel Model { get; }

    /// <summary>Saves the small model to a file.</summary>
    public string Save(string name, TrainedModel? model = null)
    {
        model ??= Model;
        var path = Path.Combine(Folder, name);
        FraudModel.Save(model.Context, model.Transformer, model.InputSchema, new ModelMetadata
        {
            FeatureSchemaVersion = FeatureSchema.Version, Features = FeatureSchema.Names, TrainedAt = DateTimeOffset.UnixEpoch,
            TrainFrom = TableFrom, TrainTo = TrainTo, LabelsKnownBy = TrainTo.AddDays(7), Rows = model.Rows, Frauds = model.Frauds, Hyperparameters = SmallModel,
        }, path);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
