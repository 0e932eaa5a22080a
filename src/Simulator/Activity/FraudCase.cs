using SkimGuard.Contracts;

namespace SkimGuard.Simulator.Activity;

/// <summary>One card's fraud: what kind, where it came from, its transactions and whether the bank reports it.</summary>
internal sealed class FraudCase(int card, FraudType reportedAs, string origin, TimeSpan? reportDelay)
{
    public int Card { get; } = card;

    /// <summary>The fraud type the bank will write on its report.</summary>
    public FraudType ReportedAs { get; } = reportedAs;

    /// <summary>"skimmer:N", "phishing_wave", or the noise kind.</summary>
    public string Origin { get; } = origin;

    /// <summary>Time from the first fraudulent transaction to the report; null when the bank never reports it.</summary>
    public TimeSpan? ReportDelay { get; } = reportDelay is { } delay ? TimeSpan.FromSeconds(Math.Round(delay.TotalSeconds)) : null;

    public DateTimeOffset? FirstFraudAt => Frauds.Count > 0 ? Frauds[0].At : null;

    /// <summary>The fraudulent transactions written so far, in time order.</summary>
    public List<TruthFraud> Frauds { get; } = [];

    public DateTimeOffset? ReportedAt => FirstFraudAt + ReportDelay;
}
