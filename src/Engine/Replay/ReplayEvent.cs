using SkimGuard.Contracts;

namespace SkimGuard.Engine.Replay;

/// <summary>One event of a replay: a transaction at its timestamp or a fraud report at its reported_at.</summary>
public readonly record struct ReplayEvent(Transaction? Transaction, FraudReport? Report)
{
    /// <summary>When the event happens in event time.</summary>
    public DateTimeOffset Time => Transaction?.Timestamp ?? Report!.ReportedAt;

    /// <summary>The event's identity for idempotency.</summary>
    public Cpp.EventKey Key => Transaction is { } tx ? Cpp.EventKey.Of(tx) : Cpp.EventKey.Of(Report!);

    /// <summary>Wraps a transaction.</summary>
    public static ReplayEvent Of(Transaction transaction) => new(transaction, null);

    /// <summary>Wraps a report.</summary>
    public static ReplayEvent Of(FraudReport report) => new(null, report);
}
