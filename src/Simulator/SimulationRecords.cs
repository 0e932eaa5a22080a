using SkimGuard.Contracts;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Simulator;

/// <summary>
/// A simulation's records kept in memory, for tests and benchmarks: each feed on its own, and both as one stream in
/// the order the simulation emits them, which is event-time order.
/// </summary>
public sealed class SimulationRecords : ISimulationSink
{
    /// <summary>The transactions, in time order.</summary>
    public List<Transaction> Transactions { get; } = [];

    /// <summary>The fraud reports, in the order they were filed.</summary>
    public List<FraudReport> Reports { get; } = [];

    /// <summary>Both, as one event-time stream.</summary>
    public List<ReplayEvent> Events { get; } = [];

    /// <inheritdoc />
    public void Transaction(Transaction transaction)
    {
        Transactions.Add(transaction);
        Events.Add(ReplayEvent.Of(transaction));
    }

    /// <inheritdoc />
    public void FraudReport(FraudReport report)
    {
        Reports.Add(report);
        Events.Add(ReplayEvent.Of(report));
    }

    /// <summary>Runs a simulation into a new set of records.</summary>
    public static SimulationRecords Of(SimulationOptions options)
    {
        var records = new SimulationRecords();
        new Simulation(options).Run(records);
        return records;
    }
}
