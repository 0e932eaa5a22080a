namespace SkimGuard.Models;

/// <summary>
/// FastTree's hyperparameters, fixed and documented so that a model can be retrained bit for bit. They were chosen
/// once on the handbook data's first four folds among five settings (see docs/models.md), not tuned per fold.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Boosting rounds: small trees need many to learn at this learning rate.</summary>
    public int Trees { get; init; } = 400;

    /// <summary>Leaves per tree: small trees (interactions of about three features) generalise from a week of frauds.</summary>
    public int Leaves { get; init; } = 8;

    /// <summary>The fewest training rows in a leaf: a week holds a few hundred frauds, and a leaf must not fit a handful.</summary>
    public int MinRowsPerLeaf { get; init; } = 100;

    /// <summary>Shrinkage per tree.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Seed of every random choice, so the same data gives the same model.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>The names and values, for the model card and metrics.</summary>
    public IReadOnlyDictionary<string, object> Describe() => new Dictionary<string, object>
    {
        ["trainer"] = "ML.NET FastTree binary classifier (gradient-boosted trees, Platt-calibrated)",
        ["trees"] = Trees, ["leaves"] = Leaves, ["min_rows_per_leaf"] = MinRowsPerLeaf, ["learning_rate"] = LearningRate, ["seed"] = Seed,
    };
}
