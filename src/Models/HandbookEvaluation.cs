namespace SkimGuard.Models;

/// <summary>
/// The evaluation protocol of the Fraud Detection Handbook (Le Borgne et al., chapter 5): rolling folds of a training
/// period, a delay while its frauds get reported, and a test period. Fold i trains on [start + i x step, + train days)
/// with the labels reported by the end of the delay, and is tested on the days after the delay.
/// On each test day, a card already known to be defrauded is left out: a report received before the day names a fraud
/// since the fold's training start (as in the handbook, a fold's knowledge starts with its training period).
/// Card precision@k is, per test day, the share of truly defrauded cards among the k cards with the highest
/// transaction score that day, leaving out cards found on an earlier test day of the fold, averaged over the days.
/// </summary>
public sealed class HandbookEvaluation(EvaluationOptions options)
{
    /// <summary>The transactions the folds need: from the first training day to the end of the last test period.</summary>
    public (DateTimeOffset From, DateTimeOffset To) Span =>
        (options.TrainStart, FoldPeriods(options.Folds - 1).TestTo);

    /// <summary>Runs every fold on a table built over <see cref="Span"/>; <paramref name="onFold"/> sees each result as it comes.</summary>
    public EvaluationResult Run(FeatureTable table, Action<FoldResult>? onFold = null)
    {
        var folds = new List<FoldResult>();
        var scored = new List<ScoredRow>();
        for (var fold = 0; fold < options.Folds; fold++)
        {
            var (trainFrom, trainTo, testFrom, testTo) = FoldPeriods(fold);
            var trainRows = RowsBetween(table, trainFrom, trainTo);
            var model = ModelTrainer.Train(table, trainRows, labelsKnownBy: testFrom, options.Training);

            var foldScored = new List<ScoredRow>();
            var found = new HashSet<string>(StringComparer.Ordinal);
            var foundByPerfectRanking = new HashSet<string>(StringComparer.Ordinal);
            var cardPrecisions = new List<double>();
            var perfectCardPrecisions = new List<double>();
            for (var dayFrom = testFrom; dayFrom < testTo; dayFrom = dayFrom.AddDays(1))
            {
                var day = RowsBetween(table, dayFrom, dayFrom.AddDays(1))
                    .Where(row => !IsKnownDefrauded(table, table.CardTokens[row], trainFrom, dayFrom))
                    .Select(row => new ScoredRow(fold, row, model.Scorer.Score(table.Features(row)), table.IsFraud(row)))
                    .ToList();
                foldScored.AddRange(day);
                cardPrecisions.Add(CardPrecision(table, day, found, options.TopCards));
                perfectCardPrecisions.Add(CardPrecision(table, [.. day.Select(s => s with { Score = s.Label ? 1 : 0 })], foundByPerfectRanking, options.TopCards));
            }
            var scores = foldScored.ConvertAll(s => s.Score);
            var labels = foldScored.ConvertAll(s => s.Label);
            var result = new FoldResult(fold, trainFrom, trainTo, testFrom, testTo, model.Rows, model.Frauds, foldScored.Count, labels.Count(l => l),
                RankingMetrics.AucRoc(scores, labels), RankingMetrics.AveragePrecision(scores, labels), cardPrecisions.Average(), perfectCardPrecisions.Average());
            folds.Add(result);
            scored.AddRange(foldScored);
            onFold?.Invoke(result);
        }
        return new EvaluationResult(options, folds, scored);
    }

    /// <summary>
    /// One test day's card precision@k: each card scored by its highest transaction score of the day and labelled by
    /// whether any of its transactions that day was fraud; cards in <paramref name="found"/> are skipped, and the
    /// defrauded cards of the top k join it.
    /// </summary>
    internal static double CardPrecision(FeatureTable table, IReadOnlyList<ScoredRow> day, HashSet<string> found, int k)
    {
        var cards = day
            .GroupBy(s => table.CardTokens[s.Row], StringComparer.Ordinal)
            .Where(g => !found.Contains(g.Key))
            .Select(g => (Card: g.Key, Score: g.Max(s => s.Score), Fraud: g.Any(s => s.Label)))
            .OrderByDescending(c => c.Score).ThenBy(c => c.Card, StringComparer.Ordinal)
            .Take(k)
            .ToList();
        foreach (var card in cards.Where(c => c.Fraud))
            found.Add(card.Card);
        return cards.Count(c => c.Fraud) / (double)k;
    }

    /// <summary>
    /// Whether a card is known to be defrauded on a test day: a report received before the day names a fraud from the
    /// fold's training start on. As in the handbook, the fold's knowledge begins with its training period.
    /// </summary>
    internal static bool IsKnownDefrauded(FeatureTable table, string card, DateTimeOffset trainFrom, DateTimeOffset testDay) =>
        table.CardReports.TryGetValue(card, out var reports) && reports.Any(r => r.ReportedAt < testDay && r.FraudAt >= trainFrom);

    private (DateTimeOffset TrainFrom, DateTimeOffset TrainTo, DateTimeOffset TestFrom, DateTimeOffset TestTo) FoldPeriods(int fold)
    {
        var trainFrom = options.TrainStart.AddDays(fold * options.FoldStepDays);
        var trainTo = trainFrom.AddDays(options.TrainDays);
        var testFrom = trainTo.AddDays(options.DelayDays);
        return (trainFrom, trainTo, testFrom, testFrom.AddDays(options.TestDays));
    }

    private static List<int> RowsBetween(FeatureTable table, DateTimeOffset from, DateTimeOffset to)
    {
        // Rows are in event-time order: binary search the start, walk to the end.
        var times = table.Times;
        int lo = 0, hi = times.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (times[mid] < from)
                lo = mid + 1;
            else
                hi = mid;
        }
        var rows = new List<int>();
        for (var row = lo; row < times.Count && times[row] < to; row++)
            rows.Add(row);
        return rows;
    }
}

/// <summary>The protocol's settings (the handbook's: 7 training days, 7 days of delay, 7 test days).</summary>
public sealed record EvaluationOptions
{
    /// <summary>First day of the first fold's training period (midnight UTC).</summary>
    public required DateTimeOffset TrainStart { get; init; }

    /// <summary>Days of training data per fold.</summary>
    public int TrainDays { get; init; } = 7;

    /// <summary>Days between training and test, while the training period's frauds get reported.</summary>
    public int DelayDays { get; init; } = 7;

    /// <summary>Days of test data per fold.</summary>
    public int TestDays { get; init; } = 7;

    /// <summary>How many folds.</summary>
    public int Folds { get; init; } = 4;

    /// <summary>Days from one fold's training start to the next's.</summary>
    public int FoldStepDays { get; init; } = 7;

    /// <summary>k of card precision@k.</summary>
    public int TopCards { get; init; } = 100;

    /// <summary>The model's hyperparameters.</summary>
    public TrainingOptions Training { get; init; } = new();
}

/// <summary>One test row's score.</summary>
/// <param name="Fold">The fold.</param>
/// <param name="Row">The row in the feature table.</param>
/// <param name="Score">The model's probability of fraud.</param>
/// <param name="Label">True fraud (reported at any time).</param>
public readonly record struct ScoredRow(int Fold, int Row, float Score, bool Label);

/// <summary>One fold's periods, sizes and metrics.</summary>
/// <param name="Fold">Fold number, from 0.</param>
/// <param name="TrainFrom">Training start.</param>
/// <param name="TrainTo">Training end (exclusive).</param>
/// <param name="TestFrom">Test start.</param>
/// <param name="TestTo">Test end (exclusive).</param>
/// <param name="TrainRows">Training rows.</param>
/// <param name="TrainFrauds">Training rows labelled fraud (as reported by the end of the delay).</param>
/// <param name="TestRows">Test rows after leaving out known defrauded cards.</param>
/// <param name="TestFrauds">Test rows that are fraud.</param>
/// <param name="AucRoc">AUC ROC over the fold's test rows.</param>
/// <param name="AveragePrecision">Average precision over the fold's test rows.</param>
/// <param name="CardPrecisionAtK">Card precision@k averaged over the test days.</param>
/// <param name="PerfectCardPrecisionAtK">The card precision@k a perfect ranking would reach on the same days: the ceiling.</param>
public sealed record FoldResult(
    int Fold, DateTimeOffset TrainFrom, DateTimeOffset TrainTo, DateTimeOffset TestFrom, DateTimeOffset TestTo,
    int TrainRows, int TrainFrauds, int TestRows, int TestFrauds, double AucRoc, double AveragePrecision, double CardPrecisionAtK, double PerfectCardPrecisionAtK);

/// <summary>Every fold's result and scored test rows.</summary>
/// <param name="Options">The protocol's settings.</param>
/// <param name="Folds">Per fold.</param>
/// <param name="Scored">Every scored test row.</param>
public sealed record EvaluationResult(EvaluationOptions Options, IReadOnlyList<FoldResult> Folds, IReadOnlyList<ScoredRow> Scored)
{
    /// <summary>
    /// The mean of each metric over the folds where it is defined: a fold whose test days hold no fraud has no AUC or
    /// average precision (NaN), and is left out of those means rather than making them NaN too.
    /// </summary>
    public (double AucRoc, double AveragePrecision, double CardPrecisionAtK) Mean =>
        (MeanOf(Folds.Select(f => f.AucRoc)), MeanOf(Folds.Select(f => f.AveragePrecision)), MeanOf(Folds.Select(f => f.CardPrecisionAtK)));

    private static double MeanOf(IEnumerable<double> values) =>
        values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();

    /// <summary>What metrics.json holds.</summary>
    public EvaluationReport Report()
    {
        var (auc, ap, cp) = Mean;
        return new EvaluationReport(Options, Folds, auc, ap, cp, Engine.Features.FeatureSchema.Version);
    }
}

/// <summary>metrics.json of an evaluation.</summary>
/// <param name="Options">The protocol's settings.</param>
/// <param name="Folds">Per fold.</param>
/// <param name="MeanAucRoc">Mean AUC ROC.</param>
/// <param name="MeanAveragePrecision">Mean average precision.</param>
/// <param name="MeanCardPrecisionAtK">Mean card precision@k.</param>
/// <param name="FeatureSchemaVersion">The features evaluated.</param>
public sealed record EvaluationReport(
    EvaluationOptions Options, IReadOnlyList<FoldResult> Folds, double MeanAucRoc, double MeanAveragePrecision, double MeanCardPrecisionAtK, int FeatureSchemaVersion);
