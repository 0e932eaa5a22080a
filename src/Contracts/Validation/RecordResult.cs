namespace SkimGuard.Contracts.Validation;

/// <summary>The outcome of reading one record: the record when it is valid, else every problem found.</summary>
public readonly record struct RecordResult<T>(T? Record, IReadOnlyList<ValidationProblem> Problems) where T : class
{
    /// <summary>What was accepted but not read (fields the contract does not know), for the sender to hear of.</summary>
    public IReadOnlyList<ValidationProblem> Warnings { get; init; } = [];

    /// <summary>True when the record is valid.</summary>
    public bool IsValid => Record is not null;

    /// <summary>The problems joined for a log line or a rejected-topic header.</summary>
    public string Summary => string.Join("; ", Problems);
}
