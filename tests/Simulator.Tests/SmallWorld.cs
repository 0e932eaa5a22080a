using SkimGuard.Contracts;

namespace SkimGuard.Simulator.Tests;

/// <summary>One small simulated world written to a temporary folder, shared by the tests of a class.</summary>
public sealed class SmallWorld : IDisposable
{
    public static readonly SimulationOptions Options = new() { Cards = 4000, Days = 40, Skimmers = 3, Seed = 11, NoiseFraudRate = 0.0004 };

    public string Folder { get; } = Directory.CreateTempSubdirectory("skimguard-sim-").FullName;
    public Simulation Simulation { get; } = new(Options);
    public GroundTruth Truth { get; }
    public List<Transaction> Transactions { get; } = [];
    public List<FraudReport> Reports { get; } = [];

    public SmallWorld()
    {
        Truth = SimulationFiles.Write(Simulation, Folder);
        Transactions.AddRange(Contracts.Json.JsonLines.ReadAll(Path.Combine(Folder, SimulationFiles.TransactionsFile), Contracts.Json.ContractsJsonContext.Default.Transaction));
        Reports.AddRange(Contracts.Json.JsonLines.ReadAll(Path.Combine(Folder, SimulationFiles.FraudReportsFile), Contracts.Json.ContractsJsonContext.Default.FraudReport));
    }

    public string PathOf(string file) => Path.Combine(Folder, file);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
