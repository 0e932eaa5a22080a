using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// The wire words of the enums ("atm", "balance_inquiry"), taken from their JSON serialization so that the
/// readers and the writer can never disagree.
/// </summary>
public static class WireNames
{
    /// <summary>Wire word to value, for every value of <typeparamref name="T"/>.</summary>
    public static FrozenDictionary<string, T> Of<T>() where T : struct, Enum => Cache<T>.ByName;

    /// <summary>The wire word of a value.</summary>
    public static string NameOf<T>(T value) where T : struct, Enum
    {
        var typeInfo = (JsonTypeInfo<T>)ContractsJsonContext.Default.GetTypeInfo(typeof(T))!;
        return JsonSerializer.Deserialize(JsonSerializer.Serialize(value, typeInfo), ContractsJsonContext.Default.String)!;
    }

    private static class Cache<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<string, T> ByName =
            Enum.GetValues<T>().ToFrozenDictionary(NameOf, value => value, StringComparer.Ordinal);
    }
}
