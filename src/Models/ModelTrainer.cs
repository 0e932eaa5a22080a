using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using SkimGuard.Engine.Features;

namespace SkimGuard.Models;

/// <summary>Trains ML.NET's FastTree binary classifier on rows of a <see cref="FeatureTable"/>.</summary>
public static class ModelTrainer
{
    /// <summary>
    /// Trains on the given rows, each labelled fraud when a report naming it was received by
    /// <paramref name="labelsKnownBy"/>: a model trained on a day may only know the frauds reported by that day.
    /// </summary>
    public static TrainedModel Train(FeatureTable table, IReadOnlyList<int> rows, DateTimeOffset labelsKnownBy, TrainingOptions options)
    {
        var ml = new MLContext(options.Seed);
        var training = rows.Select(row => new FeatureRow { Features = table.Features(row).ToArray(), Label = table.IsFraudKnownBy(row, labelsKnownBy) }).ToList();
        var frauds = training.Count(r => r.Label);
        if (frauds == 0 || frauds == training.Count)
            throw new InvalidOperationException($"the {training.Count} training rows hold {frauds} known frauds: a classifier needs both classes");
        var data = ml.Data.LoadFromEnumerable(training, FeatureRow.Schema());
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinRowsPerLeaf,
            LearningRate = options.LearningRate,
            Seed = options.Seed,
            // One thread: the same data gives the same trees, whatever the machine.
            NumberOfThreads = 1,
        });
        var model = trainer.Fit(data);
        return new TrainedModel(ml, model, data.Schema, new TreeEnsembleScorer(model.Model), training.Count, frauds);
    }
}

/// <summary>A model just trained: ML.NET's transformer (to save) and the fast scorer over its trees (to evaluate).</summary>
/// <param name="Context">The ML.NET context it was trained in.</param>
/// <param name="Transformer">The trained transformer.</param>
/// <param name="InputSchema">The schema of its input rows.</param>
/// <param name="Scorer">The trees, for scoring.</param>
/// <param name="Rows">Training rows.</param>
/// <param name="Frauds">Training rows labelled fraud.</param>
public sealed record TrainedModel(
    MLContext Context, BinaryPredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> Transformer,
    DataViewSchema InputSchema, TreeEnsembleScorer Scorer, int Rows, int Frauds);

/// <summary>One training row as ML.NET reads it.</summary>
public sealed class FeatureRow
{
    /// <summary>The feature vector, <see cref="FeatureSchema.Count"/> long.</summary>
    public float[] Features { get; set; } = [];

    /// <summary>True for fraud.</summary>
    public bool Label { get; set; }

    /// <summary>The schema with the vector's length fixed, which ML.NET needs and an attribute could not give (the length is not a constant).</summary>
    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureSchema.Count);
        return schema;
    }
}
