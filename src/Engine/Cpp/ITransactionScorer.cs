namespace SkimGuard.Engine.Cpp;

/// <summary>A fraud model as the engine sees it: a score for a feature vector, and a version to stamp on alerts.</summary>
public interface ITransactionScorer
{
    /// <summary>Names the model exactly (file and content), for the alerts it contributed to.</summary>
    string Version { get; }

    /// <summary>The probability of fraud for a feature vector of <see cref="Features.FeatureSchema"/>.</summary>
    float Score(ReadOnlySpan<float> features);
}
