using System.Collections.Frozen;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Contracts.Validation;

/// <summary>Reads a FraudReport v1 from raw JSON and checks every rule of the wire format.</summary>
public static class FraudReportReader
{
    /// <summary>More fraudulent transactions than this on one report is a feed error, not a card.</summary>
    public const int MaxFraudTxnIds = 1000;

    /// <summary>The contract's fields, and pan, which the edge reads in place of card_token.</summary>
    private static readonly FrozenSet<string> Fields = ContractsJsonContext.Default.FraudReport.Properties.Select(p => p.Name).Append("pan").ToFrozenSet();

    /// <summary>Reads and validates one record.</summary>
    public static RecordResult<FraudReport> Read(ReadOnlyMemory<byte> utf8Json, ReadContext context)
    {
        utf8Json = Utf8Bom.Skip(utf8Json);
        return TypedCheck.TryFast(utf8Json, context, ContractsJsonContext.Default.FraudReport, TypedCheck.IsValid) is { } fast
            ? new(fast, [])
            : ReadThoroughly(utf8Json, context);
    }

    /// <summary>The thorough path: walks the document and names every problem (and tokenises a PAN at the edge).</summary>
    internal static RecordResult<FraudReport> ReadThoroughly(ReadOnlyMemory<byte> utf8Json, ReadContext context)
    {
        var (problems, warnings) = (new List<ValidationProblem>(), new List<ValidationProblem>());
        using var document = RecordParser.Parse(utf8Json, Fields, problems, warnings);
        if (document is null)
            return new(null, problems);

        var f = new FieldReader(document.RootElement, context);
        f.SchemaVersion();
        var reportId = f.Id("report_id");
        var bankId = BankIdentity.Resolve(f, context);
        var card = CardIdentity.Resolve(f, context);
        var reportedAt = f.Timestamp("reported_at");
        var fraudType = f.Enum("fraud_type", WireNames.Of<FraudType>());
        var firstFraudAt = f.Timestamp("first_fraud_at", required: false);
        var fraudTxnIds = f.IdList("fraud_txn_ids", MaxFraudTxnIds);
        if (firstFraudAt > reportedAt)
            f.Problem("first_fraud_at", ProblemCodes.OutOfRange, "must not be after reported_at");

        if (f.Problems.Count > 0)
            return new(null, f.Problems);
        return new RecordResult<FraudReport>(new FraudReport
        {
            ReportId = reportId!,
            BankId = bankId!,
            CardToken = card.Token!,
            ReportedAt = reportedAt!.Value,
            FraudType = fraudType!.Value,
            FirstFraudAt = firstFraudAt,
            FraudTxnIds = fraudTxnIds,
        }, []) { Warnings = warnings };
    }
}
