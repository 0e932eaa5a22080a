using System.Text.Json.Serialization;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Detector.Redis;

/// <summary>JSON of the engine state kept in Redis (marks and compromised visitors), in the wire format's style.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcTimestampJsonConverter), typeof(WireEnumConverter<FraudType>)])]
[JsonSerializable(typeof(CompromiseMark))]
[JsonSerializable(typeof(CompromisedVisitor))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
