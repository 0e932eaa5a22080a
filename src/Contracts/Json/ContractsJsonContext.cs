using System.Text.Json.Serialization;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// Source-generated System.Text.Json metadata for every v1 contract: snake_case names, enums as their exact wire
/// words, RFC 3339 UTC timestamps, absent optional fields left out. Reading is strict (an unknown field fails), so
/// it can serve as the validating readers' fast path.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    Converters = [
        typeof(UtcTimestampJsonConverter),
        typeof(WireEnumConverter<TerminalType>), typeof(WireEnumConverter<EntryMode>), typeof(WireEnumConverter<TxnType>),
        typeof(WireEnumConverter<FraudType>), typeof(WireEnumConverter<AlertStatus>)])]
[JsonSerializable(typeof(Transaction))]
[JsonSerializable(typeof(FraudReport))]
[JsonSerializable(typeof(AtmAlert))]
[JsonSerializable(typeof(CardsAtRisk))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
