namespace SkimGuard.Models;

/// <summary>The ranking metrics of the handbook's protocol, computed exactly (ties share their ranks).</summary>
public static class RankingMetrics
{
    /// <summary>Area under the ROC curve: the chance that a random fraud scores above a random genuine row (ties count half).</summary>
    public static double AucRoc(IReadOnlyList<float> scores, IReadOnlyList<bool> labels)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positives = 0, negatives = 0, rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
                end++;
            var averageRank = (start + 1 + end) / 2.0; // ranks start..end-1, one-based
            for (var k = start; k < end; k++)
                if (labels[order[k]])
                {
                    positives++;
                    rankSum += averageRank;
                }
                else
                    negatives++;
            start = end;
        }
        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }

    /// <summary>
    /// Average precision: the sum over score thresholds, highest first, of the precision at the threshold times the
    /// recall it adds (scikit-learn's definition, which the handbook uses).
    /// </summary>
    public static double AveragePrecision(IReadOnlyList<float> scores, IReadOnlyList<bool> labels)
    {
        var positives = labels.Count(l => l);
        if (positives == 0)
            return double.NaN;
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        double ap = 0, truePositives = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            var gained = 0;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
            {
                if (labels[order[end]])
                    gained++;
                end++;
            }
            truePositives += gained;
            ap += gained / (double)positives * (truePositives / end);
            start = end;
        }
        return ap;
    }

    /// <summary>Points of the ROC curve (false positive rate, true positive rate), one per distinct score, highest first.</summary>
    public static IReadOnlyList<(double X, double Y)> RocCurve(IReadOnlyList<float> scores, IReadOnlyList<bool> labels) =>
        Curve(scores, labels, (tp, fp, p, n) => (n == 0 ? 0 : fp / n, p == 0 ? 0 : tp / p));

    /// <summary>Points of the precision-recall curve (recall, precision), one per distinct score, highest first.</summary>
    public static IReadOnlyList<(double X, double Y)> PrecisionRecallCurve(IReadOnlyList<float> scores, IReadOnlyList<bool> labels) =>
        Curve(scores, labels, (tp, fp, p, _) => (p == 0 ? 0 : tp / p, tp + fp == 0 ? 1 : tp / (tp + fp)));

    private static List<(double X, double Y)> Curve(IReadOnlyList<float> scores, IReadOnlyList<bool> labels, Func<double, double, double, double, (double, double)> point)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        double p = labels.Count(l => l), n = labels.Count - p, tp = 0, fp = 0;
        var points = new List<(double X, double Y)> { point(0, 0, p, n) };
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
            {
                if (labels[order[end]])
                    tp++;
                else
                    fp++;
                end++;
            }
            points.Add(point(tp, fp, p, n));
            start = end;
        }
        return points;
    }
}
