using System.Globalization;
using System.Text;
using SkimGuard.Engine.Features;

namespace SkimGuard.Models;

/// <summary>The model card: a markdown page that travels with a model file and says what it is and how far to trust it.</summary>
public static class ModelCard
{
    /// <summary>Writes the card for a model trained on <paramref name="data"/>.</summary>
    public static string Write(string name, string data, ModelMetadata metadata, IReadOnlyList<ModelMetrics> metrics)
    {
        var card = new StringBuilder();
        void Line(string text = "") => card.AppendLine(text);
        Line($"# Model card: {name}");
        Line();
        Line("A fraud score for card transactions: ML.NET FastTree binary classifier over SkimGuard's point-in-time features.");
        Line("The detector scores every transaction with it; a high score on a card-present transaction can mark the card");
        Line("as suspected compromised for the CPP engine, weighted by the score.");
        Line();
        Line("## Data");
        Line($"- Source: {data}");
        Line($"- Training transactions: {metadata.TrainFrom:yyyy-MM-dd} to {metadata.TrainTo.AddTicks(-1):yyyy-MM-dd} (UTC), {metadata.Rows:N0} rows, {metadata.Frauds:N0} labelled fraud ({100.0 * metadata.Frauds / Math.Max(1, metadata.Rows):F2} %).");
        Line($"- Labels: transactions named in `fraud_txn_ids` of reports received by {metadata.LabelsKnownBy:yyyy-MM-dd HH:mm} UTC; frauds reported later count as genuine.");
        Line("- Features are computed by replaying the feeds in event-time order from their start, so the history before the training period warms the windows.");
        Line($"- Trained {metadata.TrainedAt:yyyy-MM-dd HH:mm} UTC.");
        Line();
        Line($"## Features (schema version {metadata.FeatureSchemaVersion}, {metadata.Features.Count} features)");
        Line(string.Join(", ", metadata.Features.Select(f => $"`{f}`")));
        Line();
        Line("## Hyperparameters");
        foreach (var (key, value) in metadata.Hyperparameters.Describe())
            Line(string.Create(CultureInfo.InvariantCulture, $"- {key}: {value}"));
        Line();
        Line("## Metrics");
        Line("| rows | count | frauds | AUC ROC | average precision |");
        Line("|---|---:|---:|---:|---:|");
        foreach (var m in metrics)
            Line(string.Create(CultureInfo.InvariantCulture, $"| {m.Rows} | {m.Count:N0} | {m.Frauds:N0} | {m.AucRoc:F4} | {m.AveragePrecision:F4} |"));
        Line();
        var importance = metrics[^1].PermutationImportance;
        Line($"## Feature importance (permutation, on {metrics[^1].Rows}: AUC ROC lost when the feature is shuffled)");
        Line("| feature | AUC drop |");
        Line("|---|---:|");
        foreach (var f in importance.Take(15))
            Line(string.Create(CultureInfo.InvariantCulture, $"| `{f.Feature}` | {f.AucDrop:F4} |"));
        Line();
        Line("## Known limits");
        Line("- Trained on one period of one population: a model is only as good as the next period resembles it; retrain as fraud patterns move (see docs/models.md).");
        Line("- Fraud not yet reported is labelled genuine, so the newest frauds in the training period are under-counted.");
        Line("- Amounts are compared without converting currencies; terminals' local time is not known, so `hour_of_day_utc` is UTC.");
        Line($"- A model trained on features of schema version {metadata.FeatureSchemaVersion} is refused by a build computing another version.");
        return card.ToString();
    }
}
