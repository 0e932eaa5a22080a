using System.Text.Json;
using System.Text.Unicode;

namespace SkimGuard.Contracts.Validation;

/// <summary>
/// The first step of every thorough reader: the bytes must be one JSON object of sane size and depth, with field
/// names that are text and each at most once. Fields the contract does not know are kept as warnings: the record is
/// accepted, and the bank hears that part of it was not read.
/// </summary>
internal static class RecordParser
{
    /// <summary>Deeper nesting than any v1 record needs is refused before it costs anything.</summary>
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    /// <summary>Field names longer than this are not repeated back in a warning.</summary>
    private const int MaxEchoedNameLength = 64;

    public static JsonDocument? Parse(ReadOnlyMemory<byte> utf8, IReadOnlySet<string> knownFields, List<ValidationProblem> problems, List<ValidationProblem> warnings)
    {
        // The parser checks UTF-8 only where it decodes a string, so a bad byte in a name would pass unseen.
        if (!Utf8.IsValid(utf8.Span))
        {
            problems.Add(new("$", "invalid_json", ProblemCodes.InvalidJson, "not valid UTF-8"));
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException ex)
        {
            // Only the position: the parser's own message can quote the offending input, which could be part of a PAN.
            problems.Add(new("$", "invalid_json", ProblemCodes.InvalidJson,
                $"not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})"));
            return null;
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new("$", FieldReader.ValueClassOf(document.RootElement.ValueKind), ProblemCodes.InvalidJson, "must be a JSON object"));
            document.Dispose();
            return null;
        }
        if (!CheckNames(document.RootElement, knownFields, problems, warnings))
        {
            document.Dispose();
            return null;
        }
        return document;
    }

    /// <summary>
    /// Every field name must decode (a lone surrogate escape makes System.Text.Json throw on any look-up by name) and
    /// come once (which of two values counts is a guess no reader should make). False when the record is refused.
    /// </summary>
    private static bool CheckNames(JsonElement record, IReadOnlySet<string> knownFields, List<ValidationProblem> problems, List<ValidationProblem> warnings)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unnamed = 0;
        foreach (var property in record.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                problems.Add(new("$", "object", ProblemCodes.BadFormat, "a field name " + Rules.LoneSurrogateReason));
                return false;
            }
            if (!seen.Add(name))
                problems.Add(new(Echoable(name) ? name : "$", "object", ProblemCodes.DuplicateField, "appears more than once; send each field once"));
            else if (knownFields.Contains(name))
                continue;
            else if (Echoable(name))
                warnings.Add(new(name, FieldReader.ValueClassOf(property.Value.ValueKind), ProblemCodes.UnknownField, "is not a field of this record and was not read"));
            else
                unnamed++;
        }
        if (unnamed > 0)
            warnings.Add(new("$", "object", ProblemCodes.UnknownField,
                $"{unnamed} field(s) whose names are too long, hold characters other than letters, digits, '_', '-' and '.', or a card number are not fields of this record and were not read"));
        return problems.Count == 0;
    }

    /// <summary>
    /// A name safe to repeat in an answer or a log: short, of the characters field names are made of (no markup, no
    /// escapes), and holding no card number.
    /// </summary>
    private static bool Echoable(string name) =>
        name.Length is > 0 and <= MaxEchoedNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
        && !Cards.PanScanner.ContainsPan(name);
}
