using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;

namespace SkimGuard.Models;

/// <summary>
/// Evaluates a trained FastTree ensemble directly on a feature vector: the same trees and calibrator as ML.NET's
/// prediction engine, without its per-call data-view machinery, so scoring costs only the tree walks. A test checks
/// that it agrees with the prediction engine within 1e-6.
/// </summary>
public sealed class TreeEnsembleScorer
{
    private readonly Tree[] _trees;
    private readonly double _bias;
    private readonly PlattCalibrator _calibrator;
    // Every tree's nodes in one array, and every leaf's weighted value in another, so that a score walks contiguous
    // memory: a child at or above zero is a node of _nodes, below zero the complement of an index of _leaves.
    private readonly Node[] _nodes;
    private readonly double[] _leaves;
    private readonly int[] _roots;

    /// <summary>Takes the trees out of a trained, calibrated FastTree model.</summary>
    public TreeEnsembleScorer(CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator> model)
    {
        var ensemble = model.SubModel.TrainedTreeEnsemble;
        _bias = ensemble.Bias;
        _calibrator = model.Calibrator;
        _trees = [.. ensemble.Trees.Select((tree, i) =>
        {
            if (tree.CategoricalSplitFlags.Any(flag => flag))
                throw new NotSupportedException("categorical splits: SkimGuard's features are all numeric");
            return new Tree([.. tree.LeftChild], [.. tree.RightChild], [.. tree.NumericalSplitFeatureIndexes], [.. tree.NumericalSplitThresholds],
                [.. tree.LeafValues], ensemble.TreeWeights[i]);
        })];
        (_nodes, _leaves, _roots) = Flatten(_trees);
    }

    /// <summary>The model's raw margin: bias plus every tree's weighted leaf value.</summary>
    public double Margin(ReadOnlySpan<float> features)
    {
        var sum = _bias;
        var nodes = _nodes;
        foreach (var root in _roots)
        {
            var at = root;
            while (at >= 0)
            {
                ref readonly var node = ref nodes[at];
                at = features[node.Feature] <= node.Threshold ? node.Left : node.Right;
            }
            sum += _leaves[~at];
        }
        return sum;
    }

    private static (Node[] Nodes, double[] Leaves, int[] Roots) Flatten(Tree[] trees)
    {
        var nodes = new List<Node>();
        var leaves = new List<double>();
        var roots = new int[trees.Length];
        for (var t = 0; t < trees.Length; t++)
        {
            var tree = trees[t];
            int firstNode = nodes.Count, firstLeaf = leaves.Count;
            leaves.AddRange(tree.LeafValues.Select(v => tree.Weight * v));
            if (tree.Left.Length == 0)
            {
                roots[t] = ~firstLeaf; // a tree of one leaf
                continue;
            }
            int Child(int child) => child >= 0 ? firstNode + child : ~(firstLeaf + ~child);
            for (var n = 0; n < tree.Left.Length; n++)
                nodes.Add(new Node(tree.Features[n], tree.Thresholds[n], Child(tree.Left[n]), Child(tree.Right[n])));
            roots[t] = firstNode;
        }
        return ([.. nodes], [.. leaves], roots);
    }

    private readonly record struct Node(int Feature, float Threshold, int Left, int Right);

    /// <summary>The calibrated probability of fraud, as ML.NET's Probability column.</summary>
    public float Score(ReadOnlySpan<float> features) => _calibrator.PredictProbability((float)Margin(features));

    /// <summary>
    /// Each feature's contribution to the margin (Saabas' method: along each tree's path, the change in the node's
    /// mean leaf value is credited to the feature split on), summing with the base value to the margin.
    /// </summary>
    public double[] Contributions(ReadOnlySpan<float> features, out double baseValue)
    {
        var contributions = new double[features.Length];
        baseValue = _bias;
        foreach (var tree in _trees)
        {
            if (tree.Left.Length == 0)
            {
                baseValue += tree.Weight * tree.LeafValues[0];
                continue;
            }
            var node = 0;
            var value = tree.MeanOf(0);
            baseValue += tree.Weight * value;
            while (node >= 0)
            {
                var feature = tree.Features[node];
                var next = features[feature] <= tree.Thresholds[node] ? tree.Left[node] : tree.Right[node];
                var nextValue = tree.MeanOf(next);
                contributions[feature] += tree.Weight * (nextValue - value);
                value = nextValue;
                node = next;
            }
        }
        return contributions;
    }

    private sealed class Tree(int[] left, int[] right, int[] features, float[] thresholds, double[] leafValues, double weight)
    {
        private readonly double[] _means = MeansOf(left, right, leafValues);

        public int[] Left { get; } = left;
        public int[] Right { get; } = right;
        public int[] Features { get; } = features;
        public float[] Thresholds { get; } = thresholds;
        public double[] LeafValues { get; } = leafValues;
        public double Weight { get; } = weight;

        /// <summary>The mean leaf value under a node (unweighted by rows: the trees keep no counts), or a leaf's value.</summary>
        public double MeanOf(int node) => node < 0 ? LeafValues[~node] : _means[node];

        private static double[] MeansOf(int[] left, int[] right, double[] leaves)
        {
            var means = new double[left.Length];
            var counts = new int[left.Length];
            for (var node = left.Length - 1; node >= 0; node--)
                Fill(node);
            return means;

            (double Sum, int Count) Fill(int node)
            {
                if (node < 0)
                    return (leaves[~node], 1);
                if (counts[node] > 0)
                    return (means[node] * counts[node], counts[node]);
                var (ls, lc) = Fill(left[node]);
                var (rs, rc) = Fill(right[node]);
                counts[node] = lc + rc;
                means[node] = (ls + rs) / counts[node];
                return (ls + rs, counts[node]);
            }
        }
    }
}
