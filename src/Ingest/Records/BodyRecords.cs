using System.Text.Json;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Ingest.Records;

/// <summary>One record of a request body: its JSON, or why it could not even be cut out; with its line number.</summary>
/// <param name="Line">The line of the body where the record starts (1-based), for the bank's error report.</param>
/// <param name="Json">The record as one JSON object.</param>
/// <param name="Problem">Set when the record could not be read at all.</param>
/// <param name="Element">In a JSON array, the record's index (0-based): many elements can share one line.</param>
public readonly record struct RawRecord(int Line, ReadOnlyMemory<byte> Json, ValidationProblem? Problem = null, int? Element = null);

/// <summary>
/// Cuts a request body into records: JSON lines (application/x-ndjson), a JSON array or a single object
/// (application/json), or CSV with a header row (text/csv, turned into JSON objects so that one reader validates all).
/// </summary>
public static class BodyRecords
{
    /// <summary>The media types a body may have.</summary>
    public static readonly string[] MediaTypes = ["application/x-ndjson", "application/json", "text/csv"];

    /// <summary>Every record of the body, in order; a byte order mark before it is stepped over.</summary>
    public static List<RawRecord> Split(ReadOnlyMemory<byte> body, string mediaType) => mediaType switch
    {
        "application/json" => JsonArray(Utf8Bom.Skip(body)),
        "text/csv" => CsvRecords.Read(Utf8Bom.Skip(body)),
        _ => JsonLines(Utf8Bom.Skip(body)),
    };

    private static List<RawRecord> JsonLines(ReadOnlyMemory<byte> body)
    {
        var records = new List<RawRecord>();
        var span = body.Span;
        var (start, line) = (0, 1);
        while (start <= span.Length)
        {
            var end = span[start..].IndexOf((byte)'\n');
            var length = end < 0 ? span.Length - start : end;
            var record = body.Slice(start, length);
            if (record.Length > 0 && record.Span[^1] == (byte)'\r')
                record = record[..^1];
            if (!record.Span.Trim(" \t"u8).IsEmpty)
                records.Add(new RawRecord(line, record));
            if (end < 0)
                break;
            start += end + 1;
            line++;
        }
        return records;
    }

    /// <summary>An array's elements, each with the line it starts on; a broken array ends in one rejected record.</summary>
    private static List<RawRecord> JsonArray(ReadOnlyMemory<byte> body)
    {
        var records = new List<RawRecord>();
        var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = 16 });
        var lineStarts = LineStarts(body.Span);
        try
        {
            if (!reader.Read())
                return records;
            if (reader.TokenType == JsonTokenType.StartObject)
                return [new RawRecord(1, body)]; // one record sent as a bare object
            if (reader.TokenType != JsonTokenType.StartArray)
                return [new RawRecord(1, body, Problem("the body is neither a JSON array nor a JSON object"))];
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var end = (int)reader.BytesConsumed;
                records.Add(new RawRecord(LineOf(lineStarts, start), body[start..end], Element: records.Count));
            }
            if (reader.Read())
                records.Add(new RawRecord(LineOf(lineStarts, (int)reader.TokenStartIndex), default, Problem("text after the end of the array")));
        }
        catch (JsonException e)
        {
            // The message of the parser can quote the input (part of a PAN, perhaps): give only the place.
            records.Add(new RawRecord((int)(e.LineNumber ?? 0) + 1, default,
                Problem($"the JSON array is broken at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}, in element {records.Count}; nothing after it was read"),
                records.Count));
        }
        return records;
    }

    internal static ValidationProblem Problem(string reason) => new("(record)", "object", ProblemCodes.InvalidJson, reason);

    private static List<int> LineStarts(ReadOnlySpan<byte> body)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < body.Length; i++)
            if (body[i] == (byte)'\n')
                starts.Add(i + 1);
        return starts;
    }

    private static int LineOf(List<int> lineStarts, int offset)
    {
        var at = lineStarts.BinarySearch(offset);
        return (at >= 0 ? at : ~at - 1) + 1;
    }
}
