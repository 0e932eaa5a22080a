using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// The transaction reader's fast path: one forward pass of a <see cref="Utf8JsonReader"/> over a Transaction v1, with
/// no boxing and no strings made for enum words, currency or country. Every transaction Ingest, the detector, the
/// backtest and training take in passes here, so it is written out by hand: the source-generated deserializer builds a
/// record with required members through boxed constructor arguments and makes a string of every enum word, about half
/// of the garbage of reading a record (docs/benchmarks/detector.md).
/// <para>
/// It accepts only what the source-generated contract accepts (exact field names, each at most once, exact enum
/// words, no unknown fields) and gives the same record; anything else, well formed or not, returns null, and the
/// caller takes the thorough path, which names the problem.
/// </para>
/// </summary>
public static class TransactionJsonReader
{
    // The fields in the order SkimGuard writes them, which is the order tried first.
    private static readonly byte[][] FieldNames =
    [
        "schema_version"u8.ToArray(), "txn_id"u8.ToArray(), "bank_id"u8.ToArray(), "card_token"u8.ToArray(),
        "card_bin"u8.ToArray(), "card_last4"u8.ToArray(), "terminal_id"u8.ToArray(), "terminal_type"u8.ToArray(),
        "timestamp"u8.ToArray(), "amount_minor"u8.ToArray(), "currency"u8.ToArray(), "entry_mode"u8.ToArray(),
        "txn_type"u8.ToArray(), "approved"u8.ToArray(), "country"u8.ToArray(), "lat"u8.ToArray(), "lon"u8.ToArray(),
    ];

    /// <summary>The fields, numbered as <see cref="FieldNames"/> lists them.</summary>
    private enum Field
    {
        SchemaVersion, TxnId, BankId, CardToken, CardBin, CardLast4, TerminalId, TerminalType, Timestamp, AmountMinor,
        Currency, EntryMode, TxnType, Approved, Country, Lat, Lon,
    }

    // Required by the contract ([JsonRequired] or required members): every field but card_bin, card_last4, lat and lon.
    private static readonly int RequiredFields = ((1 << FieldNames.Length) - 1)
        & ~((1 << (int)Field.CardBin) | (1 << (int)Field.CardLast4) | (1 << (int)Field.Lat) | (1 << (int)Field.Lon));

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> Currencies = IsoCodes.Currencies.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> Countries = IsoCodes.Countries.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The transaction, or null when the fast path cannot vouch for the text (the thorough path then decides).</summary>
    public static Transaction? TryRead(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return Read(utf8Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // malformed JSON or text that is not UTF-8: the thorough path says where
        }
    }

    private static Transaction? Read(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return null;
        var schemaVersion = 0;
        string? txnId = null, bankId = null, cardToken = null, cardBin = null, cardLast4 = null, terminalId = null, currency = null, country = null;
        TerminalType terminalType = default;
        EntryMode entryMode = default;
        TxnType txnType = default;
        DateTimeOffset timestamp = default;
        long amountMinor = 0;
        var approved = false;
        double? lat = null, lon = null;
        var seen = 0;
        var expected = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped || FieldOf(reader.ValueSpan, expected) is not { } field || (seen & (1 << (int)field)) != 0)
                return null;
            seen |= 1 << (int)field;
            expected = (int)field + 1;
            if (!reader.Read())
                return null;
            var ok = field switch
            {
                Field.SchemaVersion => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out schemaVersion),
                Field.TxnId => RequiredString(ref reader, out txnId),
                Field.BankId => RequiredString(ref reader, out bankId),
                Field.CardToken => RequiredString(ref reader, out cardToken),
                Field.CardBin => OptionalString(ref reader, out cardBin),
                Field.CardLast4 => OptionalString(ref reader, out cardLast4),
                Field.TerminalId => RequiredString(ref reader, out terminalId),
                Field.TerminalType => Word(ref reader, TerminalTypes, out terminalType),
                Field.Timestamp => UtcTimestampJsonConverter.TryRead(ref reader, out timestamp),
                Field.AmountMinor => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out amountMinor),
                Field.Currency => Code(ref reader, Currencies, out currency),
                Field.EntryMode => Word(ref reader, EntryModes, out entryMode),
                Field.TxnType => Word(ref reader, TxnTypes, out txnType),
                Field.Approved => Boolean(ref reader, out approved),
                Field.Country => Code(ref reader, Countries, out country),
                Field.Lat => OptionalNumber(ref reader, out lat),
                _ => OptionalNumber(ref reader, out lon),
            };
            if (!ok)
                return null;
        }
        // The object must end here and nothing but white space follow it; every required field must have come.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || (seen & RequiredFields) != RequiredFields)
            return null;
        return new Transaction
        {
            SchemaVersion = schemaVersion, TxnId = txnId!, BankId = bankId!, CardToken = cardToken!, CardBin = cardBin, CardLast4 = cardLast4,
            TerminalId = terminalId!, TerminalType = terminalType, Timestamp = timestamp, AmountMinor = amountMinor, Currency = currency!,
            EntryMode = entryMode, TxnType = txnType, Approved = approved, Country = country!, Lat = lat, Lon = lon,
        };
    }

    /// <summary>The field a property names: the one expected next is tried first, then every other.</summary>
    private static Field? FieldOf(ReadOnlySpan<byte> name, int expected)
    {
        if (expected < FieldNames.Length && name.SequenceEqual(FieldNames[expected]))
            return (Field)expected;
        for (var i = 0; i < FieldNames.Length; i++)
            if (name.SequenceEqual(FieldNames[i]))
                return (Field)i;
        return null;
    }

    private static bool RequiredString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null;
    }

    private static bool OptionalString(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null || reader.TokenType == JsonTokenType.Null;
    }

    private static bool OptionalNumber(ref Utf8JsonReader reader, out double? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
            return true;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number))
            return false;
        value = number;
        return true;
    }

    private static bool Boolean(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }

    /// <summary>An enum's wire word, matched on the bytes.</summary>
    private static bool Word<T>(ref Utf8JsonReader reader, (byte[] Word, T Value)[] words, out T value) where T : struct, Enum
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String)
            return false;
        foreach (var (word, candidate) in words)
            if (reader.ValueTextEquals(word))
            {
                value = candidate;
                return true;
            }
        return false;
    }

    /// <summary>
    /// A currency or country code: the set's own string when it is one (no string made), else the text as sent, for
    /// the rules to refuse.
    /// </summary>
    private static bool Code(ref Utf8JsonReader reader, FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> codes, out string? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.String)
            return false;
        if (!reader.ValueIsEscaped && reader.ValueSpan.Length <= 3)
        {
            Span<char> chars = stackalloc char[3];
            var length = Encoding.UTF8.GetChars(reader.ValueSpan, chars);
            if (codes.TryGetValue(chars[..length], out var known))
                value = known;
        }
        value ??= reader.GetString();
        return value is not null;
    }

    private static readonly (byte[] Word, TerminalType Value)[] TerminalTypes = Words<TerminalType>();
    private static readonly (byte[] Word, EntryMode Value)[] EntryModes = Words<EntryMode>();
    private static readonly (byte[] Word, TxnType Value)[] TxnTypes = Words<TxnType>();

    private static (byte[] Word, T Value)[] Words<T>() where T : struct, Enum =>
        [.. WireNames.Of<T>().Select(p => (Encoding.UTF8.GetBytes(p.Key), p.Value))];
}
