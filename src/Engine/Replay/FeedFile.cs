using System.Collections.Concurrent;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Engine.Replay;

/// <summary>
/// A feed file (JSON lines, plain or .gz) read through the validating reader. Malformed or invalid lines are counted
/// with their line numbers and skipped, never fatal: a backtest over a year of history should not die on line 3 million.
/// </summary>
public sealed class FeedFile<T>(string path, Func<ReadOnlyMemory<byte>, RecordResult<T>> read) where T : class
{
    /// <summary>The most rejected lines kept with their reasons; the count goes on past it.</summary>
    public const int MaxRejectedKept = 100;

    private readonly ConcurrentQueue<RejectedLine> _rejected = new();
    private long _rejectedCount;
    private long _linesRead;

    /// <summary>The file read.</summary>
    public string Path { get; } = path;

    /// <summary>Lines read so far.</summary>
    public long LinesRead => Interlocked.Read(ref _linesRead);

    /// <summary>Lines rejected so far.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejectedCount);

    /// <summary>The first rejected lines, with line numbers and reasons.</summary>
    public IReadOnlyCollection<RejectedLine> Rejected => _rejected;

    /// <summary>The valid records in file order.</summary>
    public IEnumerable<T> Records()
    {
        using var stream = JsonLines.OpenRead(Path);
        foreach (var line in JsonLines.ReadLines(stream))
        {
            Interlocked.Increment(ref _linesRead);
            var result = read(line.Utf8);
            if (result.Record is { } record)
            {
                yield return record;
                continue;
            }
            if (Interlocked.Increment(ref _rejectedCount) <= MaxRejectedKept)
                _rejected.Enqueue(new RejectedLine(line.Number, result.Summary));
        }
    }
}

/// <summary>A line a replay skipped, and why.</summary>
/// <param name="Line">Its 1-based line number.</param>
/// <param name="Reason">Every problem found in it.</param>
public sealed record RejectedLine(long Line, string Reason);
