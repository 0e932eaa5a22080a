using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// The wire words of the enums ("atm", "balance_inquiry"), read from their <see cref="JsonStringEnumMemberNameAttribute"/>,
/// the one place they are written down. The JSON converter and the validating readers both use this table.
/// </summary>
public static class WireNames
{
    /// <summary>Wire word to value, for every value of <typeparamref name="T"/>.</summary>
    public static FrozenDictionary<string, T> Of<T>() where T : struct, Enum => Cache<T>.ByName;

    /// <summary>The wire word of a value.</summary>
    public static string NameOf<T>(T value) where T : struct, Enum =>
        Cache<T>.ByValue.TryGetValue(value, out var name) ? name : throw new InvalidOperationException($"{typeof(T).Name}.{value} has no wire name");

    private static string FromAttribute<T>(T value) where T : struct, Enum
    {
        var field = typeof(T).GetField(value.ToString(), BindingFlags.Public | BindingFlags.Static)!;
        return field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
            ?? throw new InvalidOperationException($"{typeof(T).Name}.{value} has no wire name");
    }

    // Read once per type: NameOf runs for every card visit a Redis commit writes, and reflection there cost more than the rest of it.
    private static class Cache<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> ByValue = Enum.GetValues<T>().ToFrozenDictionary(value => value, FromAttribute);
        public static readonly FrozenDictionary<string, T> ByName = ByValue.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
