namespace SkimGuard.Engine.Replay;

/// <summary>
/// Merges a transaction feed (by timestamp) and a report feed (by reported_at) into one event-time stream. At equal
/// times the transaction goes first. Each feed is read ahead on its own thread, so parsing JSON runs beside the engine.
/// </summary>
public static class EventTimeMerge
{
    /// <summary>The merged stream.</summary>
    public static IEnumerable<ReplayEvent> Merge(IEnumerable<ReplayEvent> transactions, IEnumerable<ReplayEvent> reports, CancellationToken cancellationToken = default)
    {
        using var left = ReadAhead.Start(transactions, cancellationToken).GetEnumerator();
        using var right = ReadAhead.Start(reports, cancellationToken).GetEnumerator();
        var hasLeft = left.MoveNext();
        var hasRight = right.MoveNext();
        while (hasLeft || hasRight)
        {
            if (hasLeft && (!hasRight || left.Current.Time <= right.Current.Time))
            {
                yield return left.Current;
                hasLeft = left.MoveNext();
            }
            else
            {
                yield return right.Current;
                hasRight = right.MoveNext();
            }
        }
    }
}
