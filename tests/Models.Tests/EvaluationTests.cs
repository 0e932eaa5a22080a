namespace SkimGuard.Models.Tests;

/// <summary>The handbook's metrics on cases small enough to work out by hand.</summary>
public sealed class EvaluationTests
{
    [Fact]
    public void AucAndAveragePrecisionMatchTheHandComputedValues()
    {
        // Ranked: fraud, genuine, fraud, genuine. Of the 4 fraud-genuine pairs 3 are ordered right: AUC 0.75.
        // Precision at each fraud: 1/1 and 2/3; AP = (1 + 2/3) / 2.
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f];
        bool[] labels = [true, false, true, false];
        Assert.Equal(0.75, RankingMetrics.AucRoc(scores, labels), 12);
        Assert.Equal((1 + 2.0 / 3) / 2, RankingMetrics.AveragePrecision(scores, labels), 12);
    }

    [Fact]
    public void TiedScoresCountHalfInAucAndAsOneThresholdInAveragePrecision()
    {
        float[] scores = [0.5f, 0.5f, 0.1f];
        bool[] labels = [true, false, false];
        // The fraud ties one genuine (half) and beats the other: (0.5 + 1) / 2.
        Assert.Equal(0.75, RankingMetrics.AucRoc(scores, labels), 12);
        // One threshold takes both tied rows: recall 1 at precision 1/2.
        Assert.Equal(0.5, RankingMetrics.AveragePrecision(scores, labels), 12);
    }

    [Fact]
    public void CardPrecisionRanksCardsByTheirBestScoreAndSkipsCardsFoundOnEarlierDays()
    {
        var table = new FeatureTable();
        foreach (var card in new[] { "a", "a", "b", "c", "d" })
            table.CardTokens.Add(card);
        // a: 0.2 genuine and 0.9 fraud; b: 0.8 genuine; c: 0.7 fraud; d: 0.1 fraud.
        ScoredRow[] day = [new(0, 0, 0.2f, false), new(0, 1, 0.9f, true), new(0, 2, 0.8f, false), new(0, 3, 0.7f, true), new(0, 4, 0.1f, true)];
        var found = new HashSet<string>();

        // Top 2 cards: a (fraud), b (genuine).
        Assert.Equal(0.5, HandbookEvaluation.CardPrecision(table, day, found, 2));
        Assert.Equal(["a"], found);
        // The next day a is found already: top 2 are b and c.
        Assert.Equal(0.5, HandbookEvaluation.CardPrecision(table, day, found, 2));
        Assert.Equal(["a", "c"], found.Order());
    }

    [Fact]
    public void AFoldWithoutFraudIsLeftOutOfTheMeansAndItsNaNStillWritesToMetricsJson()
    {
        var day = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        FoldResult Fold(int n, double auc, double ap, double cp) => new(n, day, day, day, day, 10, 1, 10, auc is double.NaN ? 0 : 1, auc, ap, cp, 0.4);
        var result = new EvaluationResult(new EvaluationOptions { TrainStart = day }, [Fold(0, 0.9, 0.6, 0.3), Fold(1, double.NaN, double.NaN, 0.0)], []);

        Assert.Equal((0.9, 0.6, 0.15), result.Mean);
        var json = System.Text.Json.JsonSerializer.Serialize(result.Report(), ModelsJson.Options);
        Assert.Contains("\"auc_roc\": \"NaN\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void ACardIsKnownDefraudedOnlyByAReportReceivedBeforeTheDayOfAFraudSinceTheFoldBegan()
    {
        var table = new FeatureTable();
        var trainFrom = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        table.CardReports["old"] = [(trainFrom.AddDays(-3), trainFrom.AddDays(-10))];
        table.CardReports["recent"] = [(trainFrom.AddDays(9), trainFrom.AddDays(2))];
        var testDay = trainFrom.AddDays(14);

        Assert.False(HandbookEvaluation.IsKnownDefrauded(table, "old", trainFrom, testDay));
        Assert.True(HandbookEvaluation.IsKnownDefrauded(table, "recent", trainFrom, testDay));
        Assert.False(HandbookEvaluation.IsKnownDefrauded(table, "recent", trainFrom, trainFrom.AddDays(9)));
        Assert.False(HandbookEvaluation.IsKnownDefrauded(table, "never", trainFrom, testDay));
    }
}
