using SkimGuard.Contracts;

namespace SkimGuard.Simulator.Activity;

/// <summary>A transaction decided but not yet written: small, so a day of them sorts quickly.</summary>
internal readonly record struct PlannedTxn(
    long Ticks,
    long Sequence, // tie-break for equal times, so the order never depends on the sort algorithm
    int Card,
    int Terminal,
    long AmountMinor,
    EntryMode EntryMode,
    TxnType TxnType,
    bool Approved,
    FraudCase? Fraud) : IComparable<PlannedTxn>
{
    public int CompareTo(PlannedTxn other) =>
        Ticks != other.Ticks ? Ticks.CompareTo(other.Ticks) : Sequence.CompareTo(other.Sequence);
}
