using SkimGuard.Contracts;
using SkimGuard.Contracts.Validation;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Models;

/// <summary>
/// The feature vectors of a period's transactions, computed by replaying the feeds in event-time order through
/// <see cref="FeatureWindows"/> (everything before the period warms the windows), with what the reports say about
/// each transaction: when, if ever, it was reported as fraud.
/// </summary>
public sealed class FeatureTable
{
    private readonly List<float> _features = [];

    /// <summary>Transaction ids, one per row.</summary>
    public List<string> TxnIds { get; } = [];

    /// <summary>Card tokens, one per row.</summary>
    public List<string> CardTokens { get; } = [];

    /// <summary>Transaction times, one per row, in event-time order.</summary>
    public List<DateTimeOffset> Times { get; } = [];

    /// <summary>When the first report naming the row's transaction as fraud was received; null if never.</summary>
    public List<DateTimeOffset?> ReportedAt { get; } = [];

    /// <summary>Every card's fraud reports in the feeds (in or out of the period): when received, and when the fraud began.</summary>
    public Dictionary<string, List<(DateTimeOffset ReportedAt, DateTimeOffset FraudAt)>> CardReports { get; } = new(StringComparer.Ordinal);

    /// <summary>Rows.</summary>
    public int Count => TxnIds.Count;

    /// <summary>The feature vector of a row.</summary>
    public ReadOnlySpan<float> Features(int row) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_features).Slice(row * FeatureSchema.Count, FeatureSchema.Count);

    /// <summary>Whether the row was reported as fraud by <paramref name="cutoff"/> (labels as known at that time).</summary>
    public bool IsFraudKnownBy(int row, DateTimeOffset cutoff) => ReportedAt[row] is { } at && at <= cutoff;

    /// <summary>Whether the row was ever reported as fraud (the ground truth a test period is scored against).</summary>
    public bool IsFraud(int row) => ReportedAt[row] is not null;

    /// <summary>A table of ready vectors (for benchmarks): row i is fraud when <paramref name="labels"/>[i], known from the start.</summary>
    public static FeatureTable FromVectors(ReadOnlySpan<float> vectors, ReadOnlySpan<bool> labels)
    {
        var table = new FeatureTable();
        table._features.AddRange(vectors);
        for (var row = 0; row < labels.Length; row++)
        {
            table.TxnIds.Add(row.ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.CardTokens.Add("");
            table.Times.Add(DateTimeOffset.UnixEpoch);
            table.ReportedAt.Add(labels[row] ? DateTimeOffset.UnixEpoch : null);
        }
        return table;
    }

    /// <summary>
    /// Replays the two feed files and keeps the rows of transactions in [<paramref name="from"/>, <paramref name="to"/>).
    /// Reports anywhere in the files label the rows; each row keeps when its label became known.
    /// </summary>
    public static FeatureTable Build(string transactionsPath, string reportsPath, DateTimeOffset from, DateTimeOffset to,
        IProgress<(long Events, DateTimeOffset Time)>? progress = null, CancellationToken cancellationToken = default)
    {
        var table = new FeatureTable();
        var windows = new FeatureWindows();
        var transactions = new FeedFile<Transaction>(transactionsPath, line => TransactionReader.Read(line, ReadContext.Internal));
        var reports = new FeedFile<FraudReport>(reportsPath, line => FraudReportReader.Read(line, ReadContext.Internal));
        var rowOf = new Dictionary<(string Bank, string Txn), int>();
        var vector = new float[FeatureSchema.Count];
        long events = 0;
        foreach (var e in EventTimeMerge.Merge(transactions.Records().Select(ReplayEvent.Of), reports.Records().Select(ReplayEvent.Of), cancellationToken))
        {
            if (e.Transaction is { } tx)
            {
                if (tx.Timestamp >= from && tx.Timestamp < to)
                {
                    windows.Extract(tx, vector);
                    rowOf[(tx.BankId, tx.TxnId)] = table.Count;
                    table.TxnIds.Add(tx.TxnId);
                    table.CardTokens.Add(tx.CardToken);
                    table.Times.Add(tx.Timestamp);
                    table.ReportedAt.Add(null);
                    table._features.AddRange(vector);
                }
                windows.Observe(tx);
            }
            else
            {
                var report = e.Report!;
                if (!table.CardReports.TryGetValue(report.CardToken, out var cardReports))
                    table.CardReports.Add(report.CardToken, cardReports = []);
                cardReports.Add((report.ReportedAt, report.FirstFraudAt ?? report.ReportedAt));
                foreach (var txnId in report.FraudTxnIds ?? [])
                    if (rowOf.TryGetValue((report.BankId, txnId), out var row) && table.ReportedAt[row] is null)
                        table.ReportedAt[row] = report.ReportedAt;
                windows.Observe(report);
            }
            if (++events % 100_000 == 0)
                progress?.Report((events, e.Time));
        }
        if (transactions.RejectedCount + reports.RejectedCount > 0)
            throw new InvalidDataException(
                $"{transactions.RejectedCount} transaction and {reports.RejectedCount} report lines are invalid; first: " +
                string.Join("; ", transactions.Rejected.Concat(reports.Rejected).Take(3).Select(r => $"line {r.Line}: {r.Reason}")));
        return table;
    }
}
