using System.Text.Json;
using System.Text.Unicode;

namespace SkimGuard.Contracts.Validation;

/// <summary>The first step of every reader: the bytes must be one JSON object of sane size and depth.</summary>
internal static class RecordParser
{
    /// <summary>Deeper nesting than any v1 record needs is refused before it costs anything.</summary>
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    public static JsonDocument? Parse(ReadOnlyMemory<byte> utf8, List<ValidationProblem> problems)
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
        if (document.RootElement.ValueKind == JsonValueKind.Object)
            return document;
        problems.Add(new("$", FieldReader.ValueClassOf(document.RootElement.ValueKind), ProblemCodes.InvalidJson, "must be a JSON object"));
        document.Dispose();
        return null;
    }
}
