using System.Text.Json;
using System.Text.Json.Serialization;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// Enums as their exact wire words ("balance_inquiry"): no numbers, no other casing. The validating readers use the
/// same words (<see cref="WireNames"/>), so the fast and the thorough path accept exactly the same values.
/// </summary>
public sealed class WireEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    private static readonly Dictionary<string, T> ByName = new(WireNames.Of<T>(), StringComparer.Ordinal);
    private static readonly Dictionary<T, JsonEncodedText> ByValue = WireNames.Of<T>().ToDictionary(p => p.Value, p => JsonEncodedText.Encode(p.Key));

    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && ByName.TryGetValue(reader.GetString()!, out var value))
            return value;
        throw new JsonException($"not one of the {typeof(T).Name} words");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(ByValue[value]);
}
