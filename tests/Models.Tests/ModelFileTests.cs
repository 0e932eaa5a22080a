using System.IO.Compression;
using Microsoft.ML;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Features;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Models.Tests;

/// <summary>A model survives its file, scores as ML.NET does, and can be replaced under a running detector.</summary>
public sealed class ModelFileTests(World world) : IClassFixture<World>
{
    [Fact]
    public void ASavedModelLoadsBackAndScoresExactlyAsTrained()
    {
        var loaded = FraudModel.Load(world.Save("round-trip.zip"));

        Assert.Equal(FeatureSchema.Version, loaded.Metadata.FeatureSchemaVersion);
        Assert.StartsWith("round-trip-", loaded.Version, StringComparison.Ordinal);
        for (var row = 0; row < world.Table.Count; row += 97)
            Assert.Equal(world.Model.Scorer.Score(world.Table.Features(row)), loaded.Score(world.Table.Features(row)));
    }

    [Fact]
    public void TheFastScorerAgreesWithMlNetsPredictionEngineWithinOneMillionth()
    {
        var loaded = FraudModel.Load(world.Save("agreement.zip"));
        var ml = new MLContext();
        using var engine = ml.Model.CreatePredictionEngine<FeatureRow, Prediction>(loaded.Transformer, inputSchemaDefinition: FeatureRow.Schema());
        var compared = 0;
        for (var row = 0; row < world.Table.Count; row += 13)
        {
            var features = world.Table.Features(row).ToArray();
            var expected = engine.Predict(new FeatureRow { Features = features }).Probability;
            Assert.InRange(loaded.Score(features) - expected, -1e-6, 1e-6);
            compared++;
        }
        Assert.True(compared > 1000);
    }

    [Fact]
    public void AnExplanationsContributionsSumToTheModelsMargin()
    {
        var model = FraudModel.Load(world.Save("explain.zip"));
        var row = Enumerable.Range(0, world.Table.Count).First(world.Table.IsFraud);
        var contributions = model.Explain(world.Table.Features(row), out var baseValue);
        var margin = world.Model.Scorer.Margin(world.Table.Features(row));

        Assert.Equal(margin, baseValue + contributions.Sum(c => c.Contribution), 6);
        Assert.Equal(FeatureSchema.Count, contributions.Count);
        Assert.True(Math.Abs(contributions[0].Contribution) >= Math.Abs(contributions[^1].Contribution));
    }

    [Fact]
    public void AModelOfAnotherFeatureSchemaIsRefusedWithTheReason()
    {
        var path = world.Save("old-schema.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(FraudModel.MetadataEntry)!;
            string json;
            using (var reader = new StreamReader(entry.Open()))
                json = reader.ReadToEnd();
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(FraudModel.MetadataEntry).Open());
            writer.Write(json.Replace($"\"feature_schema_version\": {FeatureSchema.Version}", "\"feature_schema_version\": 0", StringComparison.Ordinal));
        }

        var refused = Assert.Throws<InvalidDataException>(() => FraudModel.Load(path));
        Assert.Contains("feature schema 0", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReplacedModelFileIsTakenUpAndABrokenOneLeavesThePreviousModelScoring()
    {
        var path = world.Save("hot.zip");
        using var watcher = new ModelFileWatcher(path, TimeSpan.FromHours(1));
        var first = watcher.Current.Version;
        string? failed = null;
        watcher.LoadFailed += (_, e) => failed = e.Message;

        var retrained = ModelTrainer.Train(world.Table, [.. Enumerable.Range(0, world.Table.Count).Where(r => world.Table.Times[r] < World.TrainTo)],
            World.TrainTo.AddDays(7), World.SmallModel with { Trees = 20 });
        File.Move(world.Save("hot-next.zip", retrained), path, overwrite: true);
        Assert.True(watcher.Poll());
        var second = watcher.Current.Version;
        Assert.NotEqual(first, second);

        File.WriteAllText(path, "not a model");
        Assert.False(watcher.Poll());
        Assert.NotNull(failed);
        Assert.Equal(second, watcher.Current.Version);
    }

    [Fact]
    public async Task TheBacktestScoresEveryTransactionAndStampsTheModelVersionOnEveryAlert()
    {
        var model = FraudModel.Load(world.Save("backtest.zip"));
        var result = await new Backtest(new CppOptions(), AtmRegistry.Empty, new FraudScoring(() => model)).RunAsync(world.TransactionsPath, world.ReportsPath);

        Assert.Equal(world.Transactions.Count, result.Counters.Scored);
        Assert.NotEmpty(result.Alerts);
        Assert.All(result.Alerts, alert => Assert.Equal(model.Version, alert.ModelVersion));
    }

    private sealed class Prediction
    {
        public float Probability { get; set; }
    }
}
