using SkimGuard.Contracts;

namespace SkimGuard.Simulator;

/// <summary>Receives the simulated feeds in event-time order: transactions by timestamp, reports by reported_at.</summary>
public interface ISimulationSink
{
    /// <summary>One transaction, as a bank would send it (tokenised).</summary>
    void Transaction(Transaction transaction);

    /// <summary>One fraud report, at the moment the bank files it.</summary>
    void FraudReport(FraudReport report);
}

/// <summary>How far a simulation has come, for a progress bar.</summary>
public readonly record struct SimulationProgress(int Day, int Days, long Transactions, long FraudReports);
