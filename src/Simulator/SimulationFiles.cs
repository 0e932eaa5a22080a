using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;

namespace SkimGuard.Simulator;

/// <summary>
/// Writes a simulation to a folder: transactions.jsonl, fraud_reports.jsonl, atms.csv and truth.json.
/// </summary>
public sealed class SimulationFiles : ISimulationSink, IDisposable
{
    /// <summary>File names inside the output folder.</summary>
    public const string TransactionsFile = "transactions.jsonl", FraudReportsFile = "fraud_reports.jsonl", AtmsFile = "atms.csv", TruthFile = "truth.json";

    private readonly Stream _transactions;
    private readonly Stream _reports;
    private readonly Utf8JsonWriter _transactionWriter;
    private readonly Utf8JsonWriter _reportWriter;

    private SimulationFiles(string folder)
    {
        Directory.CreateDirectory(folder);
        _transactions = JsonLines.Create(Path.Combine(folder, TransactionsFile));
        _reports = JsonLines.Create(Path.Combine(folder, FraudReportsFile));
        _transactionWriter = new Utf8JsonWriter(_transactions);
        _reportWriter = new Utf8JsonWriter(_reports);
    }

    /// <summary>Runs the simulation into <paramref name="folder"/> and returns its ground truth.</summary>
    public static GroundTruth Write(Simulation simulation, string folder, IProgress<SimulationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        GroundTruth truth;
        using (var files = new SimulationFiles(folder))
            truth = simulation.Run(files, progress, cancellationToken);
        AtmRegistry.Save(Path.Combine(folder, AtmsFile), simulation.Registry);
        File.WriteAllBytes(Path.Combine(folder, TruthFile), JsonSerializer.SerializeToUtf8Bytes(truth, GroundTruthJsonContext.Default.GroundTruth));
        return truth;
    }

    /// <inheritdoc />
    public void Transaction(Transaction transaction) =>
        JsonLines.Write(_transactionWriter, _transactions, transaction, ContractsJsonContext.Default.Transaction);

    /// <inheritdoc />
    public void FraudReport(FraudReport report) =>
        JsonLines.Write(_reportWriter, _reports, report, ContractsJsonContext.Default.FraudReport);

    /// <inheritdoc />
    public void Dispose()
    {
        _transactionWriter.Dispose();
        _reportWriter.Dispose();
        _transactions.Dispose();
        _reports.Dispose();
    }
}
