using System.Text.Json;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Contracts.Validation;

/// <summary>
/// Reads the fields of one JSON object and collects a problem for each one that is absent, of the wrong type or
/// out of range, so that a bank hears of every problem in a record at once, not only the first.
/// </summary>
internal sealed class FieldReader(JsonElement record, ReadContext context)
{
    /// <summary>Why a value holding a card number is refused; never the value itself.</summary>
    internal const string PanReason =
        "holds a card number (13 to 19 digits passing the Luhn check, alone or split by spaces, dashes or dots); a card number may be sent only as pan, over HTTP";

    private readonly List<ValidationProblem> _problems = [];

    public List<ValidationProblem> Problems => _problems;

    public bool Has(string name) => record.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public void Problem(string field, string code, string reason) => _problems.Add(new(field, ClassOf(field), code, reason));

    public void SchemaVersion()
    {
        if (Integer("schema_version", 0, int.MaxValue) is { } version && version != SchemaVersions.Current)
            Problem("schema_version", ProblemCodes.UnsupportedVersion, $"version {version} is not supported; this service reads version {SchemaVersions.Current}");
    }

    /// <summary>An identifier: 1 to <paramref name="maxLength"/> printable characters.</summary>
    public string? Id(string name, int maxLength = Rules.MaxIdLength, bool required = true)
    {
        if (!TryGet(name, JsonValueKind.String, "a string", required, out var value) || Text(name, value) is not { } text)
            return null;
        if (text.Length == 0)
            Problem(name, ProblemCodes.Missing, "must not be empty");
        else if (text.Length > maxLength)
            Problem(name, ProblemCodes.TooLong, $"must be at most {maxLength} characters");
        else if (text.Any(char.IsControl))
            Problem(name, ProblemCodes.ControlCharacters, "must not contain control characters");
        else if (Cards.PanScanner.ContainsPan(text))
            Problem(name, ProblemCodes.NotAllowed, PanReason);
        else
            return text;
        return null;
    }

    public long? Integer(string name, long min, long max, bool required = true)
    {
        if (!TryGet(name, JsonValueKind.Number, "an integer", required, out var value))
            return null;
        if (!value.TryGetInt64(out var number))
        {
            Problem(name, ProblemCodes.WrongType, "must be a whole number within 64 bits");
            return null;
        }
        if (number < min || number > max)
        {
            Problem(name, ProblemCodes.OutOfRange, $"must be between {min:N0} and {max:N0}");
            return null;
        }
        return number;
    }

    public double? Number(string name, double min, double max, bool required = true)
    {
        if (!TryGet(name, JsonValueKind.Number, "a number", required, out var value))
            return null;
        // A number too large for a double (1e400) is not finite: TryGetDouble says so where GetDouble would throw.
        if (value.TryGetDouble(out var number) && Rules.InRange(number, min, max))
            return number;
        Problem(name, ProblemCodes.OutOfRange, $"must be between {min} and {max}");
        return null;
    }

    public bool? Boolean(string name)
    {
        if (!record.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Problem(name, ProblemCodes.Missing, "is required (true or false)");
            return null;
        }
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return value.GetBoolean();
        Problem(name, ProblemCodes.WrongType, "must be true or false");
        return null;
    }

    /// <summary>An RFC 3339 timestamp with an offset, not before 2000 and not in the future.</summary>
    public DateTimeOffset? Timestamp(string name, bool required = true)
    {
        if (!TryGet(name, JsonValueKind.String, "an RFC 3339 timestamp string", required, out var value) || Text(name, value) is not { } text)
            return null;
        if (!RfcTimestamp.TryParse(text, out var time))
        {
            Problem(name, ProblemCodes.BadFormat, "must be RFC 3339 with a zone, such as 2026-01-05T09:30:00Z");
            return null;
        }
        if (Rules.IsTimeAllowed(time, context))
            return time;
        Problem(name, ProblemCodes.OutOfRange, time < Rules.Earliest ? "must not be before 2000-01-01" : "is in the future");
        return null;
    }

    /// <summary>One of a fixed set of words, matched exactly (the wire format is lower case).</summary>
    public T? Enum<T>(string name, IReadOnlyDictionary<string, T> allowed) where T : struct
    {
        if (!TryGet(name, JsonValueKind.String, "a string", required: true, out var value) || Text(name, value) is not { } text)
            return null;
        if (allowed.TryGetValue(text, out var parsed))
            return parsed;
        Problem(name, ProblemCodes.UnknownValue, $"must be one of: {string.Join(", ", allowed.Keys)}");
        return null;
    }

    /// <summary>A code from a fixed list (ISO 4217, ISO 3166-1), upper case.</summary>
    public string? Code(string name, IReadOnlySet<string> allowed, string what)
    {
        if (!TryGet(name, JsonValueKind.String, "a string", required: true, out var value) || Text(name, value) is not { } text)
            return null;
        if (allowed.Contains(text))
            return text;
        Problem(name, ProblemCodes.UnknownValue, $"must be an upper-case {what}");
        return null;
    }

    /// <summary>A string of digits with one of the given lengths (card BIN, last four).</summary>
    public string? Digits(string name, params int[] lengths)
    {
        if (!TryGet(name, JsonValueKind.String, "a string of digits", required: false, out var value) || Text(name, value) is not { } text)
            return null;
        if (Rules.IsDigits(text, lengths))
            return text;
        Problem(name, ProblemCodes.BadFormat, $"must be {string.Join(" or ", lengths)} digits");
        return null;
    }

    /// <summary>The raw text of a card number; the tokeniser checks it and it goes no further.</summary>
    public string? PanText(string name) =>
        TryGet(name, JsonValueKind.String, "a string of digits", required: true, out var value) ? Text(name, value) : null;

    public IReadOnlyList<string>? IdList(string name, int maxItems)
    {
        if (!TryGet(name, JsonValueKind.Array, "an array of strings", required: false, out var value))
            return null;
        if (value.GetArrayLength() > maxItems)
        {
            Problem(name, ProblemCodes.TooLong, $"must have at most {maxItems} items");
            return null;
        }
        var ids = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? Text(name, item) : null;
            if (item.ValueKind == JsonValueKind.String && text is null)
                return null; // not text: Text has said why
            if (text is not null && Cards.PanScanner.ContainsPan(text))
            {
                Problem(name, ProblemCodes.NotAllowed, "an item " + PanReason);
                return null;
            }
            if (!Rules.IsId(text))
            {
                Problem(name, ProblemCodes.BadFormat, $"every item must be a printable id of 1 to {Rules.MaxIdLength} characters");
                return null;
            }
            ids.Add(text!);
        }
        return ids;
    }

    /// <summary>
    /// The decoded text of a string value, or null with a problem when it cannot be decoded: a JSON escape of half a
    /// surrogate pair ("\ud800") is valid JSON but no Unicode text, and System.Text.Json throws on it.
    /// </summary>
    private string? Text(string name, JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            Problem(name, ProblemCodes.BadFormat, Rules.LoneSurrogateReason);
            return null;
        }
    }

    private bool TryGet(string name, JsonValueKind kind, string expected, bool required, out JsonElement value)
    {
        if (!record.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
                Problem(name, ProblemCodes.Missing, $"is required ({expected})");
            return false;
        }
        if (value.ValueKind == kind)
            return true;
        Problem(name, ProblemCodes.WrongType, $"must be {expected}");
        return false;
    }

    private string ClassOf(string field) =>
        field == "$" ? "object"
        : !record.TryGetProperty(field, out var value) ? "missing"
        : ValueClassOf(value.ValueKind);

    internal static string ValueClassOf(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.Null => "null",
        _ => "missing",
    };
}
