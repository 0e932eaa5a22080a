using System.Text.Json;

namespace SkimGuard.Integration.Tests;

/// <summary>
/// A data scientist's round: `skimguard simulate`, `evaluate` (the handbook's protocol), `train`, then `backtest --model
/// --explain`, each as its own process, with what each must leave behind.
/// </summary>
public sealed class ModelCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skimguard-models-").FullName;

    [Fact]
    public async Task EvaluateTrainAndBacktestWithTheModelWriteWhatADataScientistNeeds()
    {
        var data = Path.Combine(_folder, "sim");
        // Background fraud five times the default rate, so that every week has frauds to learn and to find.
        await RunAsync("simulate", "--cards", "3000", "--days", "60", "--skimmers", "3", "--seed", "5", "--atms", "150", "--noise-fraud-rate", "0.0004", "--out", data);
        string[] feeds = ["--transactions", Path.Combine(data, "transactions.jsonl"), "--reports", Path.Combine(data, "fraud_reports.jsonl")];

        var evaluation = Path.Combine(_folder, "eval");
        var printed = await RunAsync([
            "evaluate", .. feeds, "--train-start", "2026-01-31", "--train-days", "7", "--delay-days", "7", "--test-days", "7", "--folds", "2",
            "--fold-step-days", "7", "--trees", "30", "--out", evaluation]);
        Assert.Contains("mean", printed, StringComparison.Ordinal);
        using (var metrics = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(evaluation, "metrics.json"))))
        {
            Assert.Equal(2, metrics.RootElement.GetProperty("folds").GetArrayLength());
            Assert.InRange(metrics.RootElement.GetProperty("mean_auc_roc").GetDouble(), 0.5, 1.0);
        }
        var scores = File.ReadAllLines(Path.Combine(evaluation, "scores.csv"));
        Assert.Equal("fold,txn_id,card_token,timestamp,score,label", scores[0]);
        Assert.True(scores.Length > 1000);
        foreach (var plot in new[] { "roc.svg", "pr.svg" })
            Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(evaluation, plot)), StringComparison.Ordinal);

        var model = Path.Combine(_folder, "models", "town.zip");
        printed = await RunAsync(["train", .. feeds, "--from", "2026-01-31", "--to", "2026-02-21", "--trees", "30", "--out", model]);
        Assert.Contains("wrote ", printed, StringComparison.Ordinal);
        var card = File.ReadAllText(Path.Combine(_folder, "models", "town.md"));
        foreach (var section in new[] { "## Data", "## Features (schema version", "## Hyperparameters", "## Metrics", "## Feature importance", "## Known limits" })
            Assert.Contains(section, card, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_folder, "models", "town.metrics.json")));

        var someTransaction = JsonDocument.Parse(File.ReadLines(Path.Combine(data, "transactions.jsonl")).Skip(40_000).First()).RootElement.GetProperty("txn_id").GetString()!;
        printed = await RunAsync(["backtest", .. feeds, "--out", Path.Combine(_folder, "backtest"), "--model", model, "--explain", someTransaction]);
        Assert.Contains($"explain {someTransaction}", printed, StringComparison.Ordinal);
        Assert.Contains("scored by town-", printed, StringComparison.Ordinal);
        Assert.All(File.ReadLines(Path.Combine(_folder, "backtest", "alerts.jsonl")), line => Assert.Contains("\"model_version\":\"town-", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TrainingOnAPeriodWithoutFraudSaysSoInsteadOfCrashing()
    {
        var data = Path.Combine(_folder, "sim");
        await RunAsync("simulate", "--cards", "300", "--days", "3", "--seed", "5", "--out", data);

        var (code, _, errors) = await SkimguardCli.RunAsync("train", "--transactions", Path.Combine(data, "transactions.jsonl"), "--reports", Path.Combine(data, "fraud_reports.jsonl"),
            "--from", "2027-01-01", "--to", "2027-01-08", "--out", Path.Combine(_folder, "none.zip"));

        Assert.Equal(2, code);
        Assert.Contains("error: the 0 training rows hold 0 known frauds", errors, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<string> RunAsync(params string[] arguments)
    {
        var (code, output, errors) = await SkimguardCli.RunAsync(arguments);
        Assert.True(code == 0, $"skimguard {string.Join(' ', arguments)} exited {code}:\n{output}{errors}");
        return output;
    }
}
