using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// Writes timestamps as RFC 3339 in UTC with a "Z" ("2026-01-05T09:30:00Z"), as the wire format asks, and
/// reads any RFC 3339 offset, normalising it to UTC. A timestamp without an offset is refused: its zone
/// would be a guess.
/// </summary>
public sealed class UtcTimestampJsonConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType != JsonTokenType.String
            ? throw new JsonException("a timestamp must be an RFC 3339 string")
            : TryRead(ref reader, out var value)
                ? value
                : throw new JsonException("a timestamp must be RFC 3339 with an offset, such as 2026-01-05T09:30:00Z");

    /// <summary>Reads the current token as an RFC 3339 timestamp with an offset, in UTC; false when it is not one.</summary>
    public static bool TryRead(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String)
            return false;
        // The common case, "...Z" with no escapes, is parsed from the UTF-8 bytes without making a string.
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan is [.., (byte)'Z'] span && span.Length is >= 20 and <= 30
            && span[10] == (byte)'T' && reader.TryGetDateTimeOffset(out var utc))
        {
            value = utc.ToUniversalTime();
            return true;
        }
        return RfcTimestamp.TryParse(reader.GetString()!, out value);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<byte> buffer = stackalloc byte[40];
        writer.WriteStringValue(buffer[..RfcTimestamp.Format(value, buffer)]);
    }
}

/// <summary>RFC 3339 parsing and formatting, shared by the JSON converter and the validating readers.</summary>
public static class RfcTimestamp
{
    /// <summary>Parses an RFC 3339 timestamp that carries an offset ("Z" or ±hh:mm) and returns it in UTC.</summary>
    public static bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        // RFC 3339 needs a date, a 'T' (or space) and an explicit zone; DateTimeOffset.TryParse alone would
        // accept "5 Jan" or assume the machine's zone.
        if (text.Length < 20 || text.Length > 40 || text[4] != '-' || text[7] != '-' || (text[10] is not ('T' or 't' or ' ')))
            return false;
        var last = text[^1];
        var hasZone = last is 'Z' or 'z' || (text.Length >= 25 && text[^3] == ':' && text[^6] is '+' or '-');
        if (!hasZone)
            return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed))
            return false;
        value = parsed.ToUniversalTime();
        return true;
    }

    /// <summary>Writes the timestamp in UTC as "yyyy-MM-ddTHH:mm:ss[.fffffff]Z" and returns the byte count.</summary>
    public static int Format(DateTimeOffset value, Span<byte> destination)
    {
        var utc = value.UtcDateTime;
        // 'O' gives 7 fractional digits always; trim them when the time is on a whole second, as most feeds are.
        var format = utc.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";
        utc.TryFormat(destination, out var written, format, CultureInfo.InvariantCulture);
        return written;
    }
}
