using System.Collections.Frozen;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Contracts.Validation;

/// <summary>
/// Reads a Transaction v1 from raw JSON and checks every rule of the wire format, returning the record or every
/// problem found. At the edge (a tokeniser in the context) a "pan" is tokenised here and dropped.
/// </summary>
public static class TransactionReader
{
    /// <summary>The largest amount taken as real: ten crore rupees in paise. Above it, a unit mistake is likelier.</summary>
    public const long MaxAmountMinor = 10_000_000_000;

    /// <summary>The contract's fields, and pan, which the edge reads in place of card_token.</summary>
    private static readonly FrozenSet<string> Fields = ContractsJsonContext.Default.Transaction.Properties.Select(p => p.Name).Append("pan").ToFrozenSet();

    /// <summary>Reads and validates one record.</summary>
    public static RecordResult<Transaction> Read(ReadOnlyMemory<byte> utf8Json, ReadContext context)
    {
        utf8Json = Utf8Bom.Skip(utf8Json);
        // The fast path: a PAN must be tokenised by the thorough path, which also names every problem of a record it refuses.
        return (context.Tokenizer is null || !TypedCheck.MentionsPan(utf8Json))
            && TransactionJsonReader.TryRead(utf8Json.Span) is { } fast && TypedCheck.IsValid(fast, context)
            ? new(fast, [])
            : ReadThoroughly(utf8Json, context);
    }

    /// <summary>The thorough path: walks the document and names every problem (and tokenises a PAN at the edge).</summary>
    internal static RecordResult<Transaction> ReadThoroughly(ReadOnlyMemory<byte> utf8Json, ReadContext context)
    {
        var (problems, warnings) = (new List<ValidationProblem>(), new List<ValidationProblem>());
        using var document = RecordParser.Parse(utf8Json, Fields, problems, warnings);
        if (document is null)
            return new(null, problems);

        var f = new FieldReader(document.RootElement, context);
        f.SchemaVersion();
        var txnId = f.Id("txn_id");
        var bankId = BankIdentity.Resolve(f, context);
        var card = CardIdentity.Resolve(f, context);
        var terminalId = f.Id("terminal_id");
        var terminalType = f.Enum("terminal_type", WireNames.Of<TerminalType>());
        var timestamp = f.Timestamp("timestamp");
        var amount = f.Integer("amount_minor", 0, MaxAmountMinor);
        var currency = f.Code("currency", IsoCodes.Currencies, "ISO 4217 currency code, such as INR");
        var entryMode = f.Enum("entry_mode", WireNames.Of<EntryMode>());
        var txnType = f.Enum("txn_type", WireNames.Of<TxnType>());
        var approved = f.Boolean("approved");
        var country = f.Code("country", IsoCodes.Countries, "ISO 3166-1 alpha-2 country code, such as IN");
        var lat = f.Number("lat", -90, 90, required: false);
        var lon = f.Number("lon", -180, 180, required: false);
        if (f.Has("lat") != f.Has("lon"))
            f.Problem(f.Has("lat") ? "lon" : "lat", ProblemCodes.Missing, "lat and lon come together or not at all");

        if (f.Problems.Count > 0)
            return new(null, f.Problems);
        return new RecordResult<Transaction>(new Transaction
        {
            TxnId = txnId!,
            BankId = bankId!,
            CardToken = card.Token!,
            CardBin = card.Bin,
            CardLast4 = card.Last4,
            TerminalId = terminalId!,
            TerminalType = terminalType!.Value,
            Timestamp = timestamp!.Value,
            AmountMinor = amount!.Value,
            Currency = currency!,
            EntryMode = entryMode!.Value,
            TxnType = txnType!.Value,
            Approved = approved!.Value,
            Country = country!,
            Lat = lat,
            Lon = lon,
        }, []) { Warnings = warnings };
    }
}
