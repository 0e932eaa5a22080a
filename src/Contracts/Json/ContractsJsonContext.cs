using System.Text.Json.Serialization;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// Source-generated System.Text.Json metadata for every v1 contract: snake_case names, enums as their
/// wire strings, RFC 3339 UTC timestamps, absent optional fields left out.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    Converters = [typeof(UtcTimestampJsonConverter)])]
[JsonSerializable(typeof(Transaction))]
[JsonSerializable(typeof(FraudReport))]
[JsonSerializable(typeof(AtmAlert))]
[JsonSerializable(typeof(CardsAtRisk))]
[JsonSerializable(typeof(string))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
