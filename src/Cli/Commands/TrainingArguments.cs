using System.CommandLine;
using SkimGuard.Models;

namespace SkimGuard.Cli.Commands;

/// <summary>The FastTree hyperparameters as command-line options, shared by `train` and `evaluate`.</summary>
internal sealed class TrainingArguments
{
    private static readonly TrainingOptions Defaults = new();
    private readonly Option<int> _trees = new("--trees") { Description = "Boosting rounds", DefaultValueFactory = _ => Defaults.Trees };
    private readonly Option<int> _leaves = new("--leaves") { Description = "Leaves per tree", DefaultValueFactory = _ => Defaults.Leaves };
    private readonly Option<int> _minRows = new("--min-rows-per-leaf") { Description = "Fewest training rows in a leaf", DefaultValueFactory = _ => Defaults.MinRowsPerLeaf };
    private readonly Option<double> _learningRate = new("--learning-rate") { Description = "Shrinkage per tree", DefaultValueFactory = _ => Defaults.LearningRate };
    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the trainer", DefaultValueFactory = _ => Defaults.Seed };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _trees, _leaves, _minRows, _learningRate, _seed })
            command.Options.Add(option);
    }

    /// <summary>The options, or the first problem with them (naming the option).</summary>
    public (TrainingOptions? Options, string? Problem) Read(ParseResult parse)
    {
        var options = new TrainingOptions
        {
            Trees = parse.GetValue(_trees), Leaves = parse.GetValue(_leaves), MinRowsPerLeaf = parse.GetValue(_minRows),
            LearningRate = parse.GetValue(_learningRate), Seed = parse.GetValue(_seed),
        };
        if (options.Trees < 1)
            return (null, $"--trees must be at least 1, not {options.Trees}");
        if (options.Leaves < 2)
            return (null, $"--leaves must be at least 2, not {options.Leaves}");
        if (options.MinRowsPerLeaf < 1)
            return (null, $"--min-rows-per-leaf must be at least 1, not {options.MinRowsPerLeaf}");
        if (options.LearningRate is <= 0 or > 1)
            return (null, $"--learning-rate must be in (0, 1], not {options.LearningRate}");
        return (options, null);
    }
}
