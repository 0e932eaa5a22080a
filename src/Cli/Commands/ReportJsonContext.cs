using System.Text.Json.Serialization;
using SkimGuard.Contracts.Json;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Cli.Commands;

/// <summary>JSON for report.json, in the wire format's style.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    Converters = [typeof(UtcTimestampJsonConverter)])]
[JsonSerializable(typeof(QualityReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
