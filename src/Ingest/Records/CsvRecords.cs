using System.Buffers;
using System.Text;
using System.Text.Json;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Ingest.Records;

/// <summary>
/// CSV with a header row (RFC 4180: quoted cells, doubled quotes, newlines inside quotes), each row turned into the
/// JSON object the readers validate. Empty cells are absent fields; a cell of a numeric or boolean field that reads as
/// one becomes a JSON number or boolean, anything else stays a string, so the reader names the field and the problem.
/// </summary>
public static partial class CsvRecords
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial System.Text.RegularExpressions.Regex JsonNumber();

    private static readonly HashSet<string> NumericFields = ["schema_version", "amount_minor", "lat", "lon"];
    private static readonly HashSet<string> BooleanFields = ["approved"];
    private static readonly HashSet<string> ListFields = ["fraud_txn_ids"];

    /// <summary>Every data row as a record, with the line it starts on.</summary>
    public static List<RawRecord> Read(ReadOnlyMemory<byte> body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body.Span);
        }
        catch (DecoderFallbackException)
        {
            return [new RawRecord(1, default, new ValidationProblem("(record)", "string", ProblemCodes.InvalidJson, "the CSV is not valid UTF-8"))];
        }
        var rows = Rows(text.TrimStart('\uFEFF')).ToList();
        if (rows.Count == 0)
            return [];
        var header = rows[0].Cells.Select(c => c.Trim()).ToList();
        var records = new List<RawRecord>(rows.Count - 1);
        foreach (var (line, cells, problem) in rows.Skip(1))
        {
            if (problem is not null)
                records.Add(new RawRecord(line, default, new ValidationProblem("(row)", "string", ProblemCodes.BadFormat, problem)));
            else if (cells.Count == 1 && cells[0].Length == 0)
                continue; // a blank line
            else if (cells.Count != header.Count)
                records.Add(new RawRecord(line, default, new ValidationProblem("(row)", "string", ProblemCodes.BadFormat,
                    $"the row has {cells.Count} cells and the header {header.Count}")));
            else
                records.Add(new RawRecord(line, ToJson(header, cells)));
        }
        return records;
    }

    private static byte[] ToJson(List<string> header, List<string> cells)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            for (var i = 0; i < header.Count; i++)
            {
                var (name, cell) = (header[i], cells[i]);
                if (cell.Length == 0)
                    continue;
                // Only a number as JSON writes one: .NET also reads ".5", "03", "+1" and "1.e5", which the JSON writer
                // refuses with an exception (bench/fuzz.sh csv found it); those stay strings and the reader names them.
                if (NumericFields.Contains(name) && JsonNumber().IsMatch(cell))
                {
                    json.WritePropertyName(name);
                    json.WriteRawValue(cell, skipInputValidation: false);
                }
                else if (BooleanFields.Contains(name) && bool.TryParse(cell, out var flag))
                    json.WriteBoolean(name, flag);
                else if (ListFields.Contains(name))
                {
                    json.WriteStartArray(name);
                    foreach (var item in cell.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        json.WriteStringValue(item);
                    json.WriteEndArray();
                }
                else
                    json.WriteString(name, cell);
            }
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The rows, each with the line it starts on and its cells, or the problem that ended it.</summary>
    private static IEnumerable<(int Line, List<string> Cells, string? Problem)> Rows(string text)
    {
        var (i, line) = (0, 1);
        while (i < text.Length)
        {
            var startLine = line;
            var cells = new List<string>();
            var cell = new StringBuilder();
            string? problem = null;
            var quoted = false;
            var atCellStart = true;
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (quoted)
                {
                    if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else if (c == '"')
                        quoted = false;
                    else
                    {
                        if (c == '\n')
                            line++;
                        cell.Append(c);
                    }
                    continue;
                }
                if (c == '"' && atCellStart)
                {
                    quoted = true;
                    atCellStart = false;
                }
                else if (c == ',')
                {
                    cells.Add(cell.ToString());
                    cell.Clear();
                    atCellStart = true;
                }
                else if (c is '\n' or '\r')
                {
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                        i++;
                    i++;
                    line++;
                    break;
                }
                else
                {
                    cell.Append(c);
                    atCellStart = false;
                }
            }
            if (quoted)
                problem = "a quoted cell is not closed before the end of the body";
            cells.Add(cell.ToString());
            yield return (startLine, cells, problem);
        }
    }
}
