using System.Collections.Concurrent;

namespace SkimGuard.Engine.Replay;

/// <summary>Runs a sequence on a background thread, handing items over in batches through a bounded queue.</summary>
public static class ReadAhead
{
    private const int BatchSize = 1024;
    private const int BatchesInFlight = 16;

    /// <summary>Starts reading <paramref name="source"/> ahead; errors surface on the consuming side.</summary>
    public static IEnumerable<T> Start<T>(IEnumerable<T> source, CancellationToken cancellationToken = default)
    {
        using var queue = new BlockingCollection<List<T>>(BatchesInFlight);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                var batch = new List<T>(BatchSize);
                foreach (var item in source)
                {
                    batch.Add(item);
                    if (batch.Count == BatchSize)
                    {
                        queue.Add(batch, stop.Token);
                        batch = new List<T>(BatchSize);
                    }
                }
                if (batch.Count > 0)
                    queue.Add(batch, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // the consumer stopped early
            }
#pragma warning disable CA1031 // handed to the consumer, which rethrows it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
            finally
            {
                queue.CompleteAdding();
            }
        }) { IsBackground = true, Name = "read-ahead" };
        reader.Start();
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(cancellationToken))
                foreach (var item in batch)
                    yield return item;
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }
        if (failure is not null)
            throw new InvalidOperationException($"reading ahead failed: {failure.Message}", failure);
    }
}
