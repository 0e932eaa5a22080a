namespace SkimGuard.Models;

/// <summary>A model's quality on a set of rows, and what each feature is worth to it.</summary>
public sealed record ModelMetrics
{
    /// <summary>What the rows were ("training rows, in sample", "last 7 days, out of sample").</summary>
    public required string Rows { get; init; }

    /// <summary>How many rows.</summary>
    public required int Count { get; init; }

    /// <summary>How many were fraud.</summary>
    public required int Frauds { get; init; }

    /// <summary>Area under the ROC curve.</summary>
    public required double AucRoc { get; init; }

    /// <summary>Average precision.</summary>
    public required double AveragePrecision { get; init; }

    /// <summary>Drop in AUC ROC when a feature's values are shuffled across the rows, largest first.</summary>
    public required IReadOnlyList<FeatureImportance> PermutationImportance { get; init; }
}

/// <summary>One feature's permutation importance.</summary>
/// <param name="Feature">The feature.</param>
/// <param name="AucDrop">AUC ROC lost when its values are shuffled.</param>
public sealed record FeatureImportance(string Feature, double AucDrop);

/// <summary>Permutation feature importance with the fast scorer.</summary>
public static class PermutationImportance
{
    /// <summary>
    /// For each feature, shuffles its column across the rows (seeded) and measures the AUC ROC lost. At most
    /// <paramref name="maxRows"/> rows are used, the frauds all kept, so it stays quick on a million rows.
    /// </summary>
    public static IReadOnlyList<FeatureImportance> Compute(TreeEnsembleScorer scorer, FeatureTable table, IReadOnlyList<int> rows, Func<int, bool> label, int seed, int maxRows = 50_000)
    {
        var random = new Random(seed);
        var frauds = rows.Where(label).ToList();
        var genuine = rows.Where(r => !label(r)).ToList();
        var keptGenuine = genuine.Count <= maxRows - frauds.Count ? genuine : [.. genuine.OrderBy(_ => random.Next()).Take(Math.Max(1, maxRows - frauds.Count))];
        var sample = frauds.Concat(keptGenuine).ToList();
        var width = Engine.Features.FeatureSchema.Count;
        var matrix = new float[sample.Count * width];
        for (var i = 0; i < sample.Count; i++)
            table.Features(sample[i]).CopyTo(matrix.AsSpan(i * width, width));
        var labels = sample.Select(label).ToList();
        var baseline = RankingMetrics.AucRoc(ScoreAll(scorer, matrix, width), labels);
        var importances = new List<FeatureImportance>();
        var column = new float[sample.Count];
        for (var feature = 0; feature < width; feature++)
        {
            for (var i = 0; i < sample.Count; i++)
                column[i] = matrix[i * width + feature];
            var shuffled = column.OrderBy(_ => random.Next()).ToArray();
            for (var i = 0; i < sample.Count; i++)
                matrix[i * width + feature] = shuffled[i];
            importances.Add(new FeatureImportance(Engine.Features.FeatureSchema.Names[feature], baseline - RankingMetrics.AucRoc(ScoreAll(scorer, matrix, width), labels)));
            for (var i = 0; i < sample.Count; i++)
                matrix[i * width + feature] = column[i];
        }
        return [.. importances.OrderByDescending(f => f.AucDrop)];
    }

    private static float[] ScoreAll(TreeEnsembleScorer scorer, float[] matrix, int width)
    {
        var scores = new float[matrix.Length / width];
        for (var i = 0; i < scores.Length; i++)
            scores[i] = scorer.Score(matrix.AsSpan(i * width, width));
        return scores;
    }
}

/// <summary>How the model files and reports are written: snake_case, indented.</summary>
public static class ModelsJson
{
    /// <summary>Serializer options backed by the source-generated context.</summary>
    public static System.Text.Json.JsonSerializerOptions Options { get; } = new(ModelJsonContext.Default.Options);
}
