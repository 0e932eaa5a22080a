using System.Text.Json.Serialization;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Cpp;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Cli.Commands;

/// <summary>JSON for report.json and held_back.jsonl, in the wire format's style.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    UseStringEnumConverter = true,
    Converters = [typeof(UtcTimestampJsonConverter)])]
[JsonSerializable(typeof(QualityReport))]
[JsonSerializable(typeof(HeldBack))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
