using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using SkimGuard.Engine.Features;

namespace SkimGuard.Models;

/// <summary>
/// A trained fraud model as loaded from its file: the FastTree ensemble, the feature schema it was trained on, and a
/// version naming this exact file (its name and a hash of its bytes), which goes on every alert scored with it.
/// The file is ML.NET's model zip with one more entry, <see cref="MetadataEntry"/>, describing the model.
/// </summary>
public sealed class FraudModel : Engine.Cpp.ITransactionScorer
{
    /// <summary>The zip entry holding <see cref="ModelMetadata"/>.</summary>
    public const string MetadataEntry = "skimguard/model.json";

    private readonly TreeEnsembleScorer _scorer;

    private FraudModel(string version, ModelMetadata metadata, TreeEnsembleScorer scorer, ITransformer transformer)
    {
        Version = version;
        Metadata = metadata;
        _scorer = scorer;
        Transformer = transformer;
    }

    /// <summary>"name-hash": the file's name and the first 12 hex digits of its SHA-256.</summary>
    public string Version { get; }

    /// <summary>What the model file says about itself.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The ML.NET transformer, for ML.NET's own prediction engine and evaluation.</summary>
    public ITransformer Transformer { get; }

    /// <summary>The probability of fraud for a feature vector (of <see cref="FeatureSchema"/>).</summary>
    public float Score(ReadOnlySpan<float> features) => _scorer.Score(features);

    /// <summary>Each feature's contribution to the score's margin, largest magnitude first.</summary>
    public IReadOnlyList<(string Feature, float Value, double Contribution)> Explain(ReadOnlySpan<float> features, out double baseValue)
    {
        var contributions = _scorer.Contributions(features, out baseValue);
        var names = FeatureSchema.Names;
        var values = features.ToArray();
        return [.. contributions.Select((c, i) => (names[i], values[i], c)).OrderByDescending(c => Math.Abs(c.c))];
    }

    /// <summary>Writes a trained model and its metadata to a file (through a temporary file, so a watcher never sees half of it).</summary>
    public static void Save(MLContext ml, ITransformer model, DataViewSchema inputSchema, ModelMetadata metadata, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        ml.Model.Save(model, inputSchema, temporary);
        using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Update))
        {
            using var entry = zip.CreateEntry(MetadataEntry).Open();
            JsonSerializer.Serialize(entry, metadata, ModelJsonContext.Default.ModelMetadata);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Loads a model file; refuses one trained on another feature schema.</summary>
    public static FraudModel Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        ModelMetadata metadata;
        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
        {
            var entry = zip.GetEntry(MetadataEntry) ?? throw new InvalidDataException($"{path}: not a SkimGuard model (no {MetadataEntry})");
            using var stream = entry.Open();
            metadata = JsonSerializer.Deserialize(stream, ModelJsonContext.Default.ModelMetadata)
                ?? throw new InvalidDataException($"{path}: empty {MetadataEntry}");
        }
        if (metadata.FeatureSchemaVersion != FeatureSchema.Version || !metadata.Features.SequenceEqual(FeatureSchema.Names))
            throw new InvalidDataException(
                $"{path}: trained on feature schema {metadata.FeatureSchemaVersion}, this build computes schema {FeatureSchema.Version}; retrain it");
        var ml = new MLContext();
        var transformer = ml.Model.Load(new MemoryStream(bytes), out _);
        var calibrated = (transformer as ISingleFeaturePredictionTransformer<object>)?.Model
            as CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>
            ?? throw new InvalidDataException($"{path}: not a calibrated FastTree binary model");
        var version = $"{Path.GetFileNameWithoutExtension(path)}-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]}";
        return new FraudModel(version, metadata, new TreeEnsembleScorer(calibrated), transformer);
    }
}

/// <summary>What a model file says about itself: the feature schema it reads, how and on what it was trained, its metrics.</summary>
public sealed record ModelMetadata
{
    /// <summary>The <see cref="FeatureSchema.Version"/> the model was trained on.</summary>
    public required int FeatureSchemaVersion { get; init; }

    /// <summary>The feature names in vector order, checked against this build's at load.</summary>
    public required IReadOnlyList<string> Features { get; init; }

    /// <summary>When the model was trained (wall clock).</summary>
    public required DateTimeOffset TrainedAt { get; init; }

    /// <summary>First day of the training transactions.</summary>
    public required DateTimeOffset TrainFrom { get; init; }

    /// <summary>End (exclusive) of the training transactions.</summary>
    public required DateTimeOffset TrainTo { get; init; }

    /// <summary>Reports received up to this time labelled the training rows.</summary>
    public required DateTimeOffset LabelsKnownBy { get; init; }

    /// <summary>Training rows and how many of them were labelled fraud.</summary>
    public required int Rows { get; init; }

    /// <summary>Rows labelled fraud.</summary>
    public required int Frauds { get; init; }

    /// <summary>The hyperparameters.</summary>
    public required TrainingOptions Hyperparameters { get; init; }
}

// A metric undefined on its rows (no fraud among them) is NaN, written as the string "NaN".
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ModelMetadata))]
[JsonSerializable(typeof(ModelMetrics))]
[JsonSerializable(typeof(List<ModelMetrics>))]
[JsonSerializable(typeof(EvaluationReport))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
