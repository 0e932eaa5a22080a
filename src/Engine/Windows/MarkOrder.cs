namespace SkimGuard.Engine.Windows;

/// <summary>Which of two compromise marks a card keeps: the heavier one; at equal weight the earlier fraud.</summary>
public static class MarkOrder
{
    /// <summary>The mark to keep. Returns <paramref name="current"/> itself when it stays, so callers can tell nothing changed.</summary>
    public static CompromiseMark Stronger(CompromiseMark? current, CompromiseMark candidate)
    {
        if (current is null || candidate.Weight > current.Weight)
            return candidate;
        if (candidate.Weight == current.Weight && candidate.FirstFraudAt < current.FirstFraudAt)
            return candidate;
        return current;
    }
}
