using SkimGuard.Contracts.Validation;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Detector.Consuming;

/// <summary>
/// Reads a message of the transaction or report topic with the same validating readers as every other input. The
/// topics carry records Ingest has already checked, so a failure here means a bad producer: it is rejected, not fatal.
/// </summary>
internal sealed class MessageDecoder(string transactionsTopic, int maxMessageBytes)
{
    /// <summary>
    /// The event, or the problems that make the message unusable. Never throws: a failure no rule foresaw rejects this
    /// message alone, where an exception would fail the batch and read the same message again for ever.
    /// </summary>
    public (ReplayEvent? Event, IReadOnlyList<ValidationProblem> Problems) Decode(string topic, byte[]? value)
    {
        try
        {
            return Read(topic, value);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, [new ValidationProblem("$", "object", ProblemCodes.Unreadable, $"the record could not be read ({e.GetType().Name})")]);
        }
    }

    private (ReplayEvent? Event, IReadOnlyList<ValidationProblem> Problems) Read(string topic, byte[]? value)
    {
        if (value is null || value.Length == 0)
            return (null, [new ValidationProblem("(record)", "missing", ProblemCodes.InvalidJson, "the message has no value")]);
        if (value.Length > maxMessageBytes)
            return (null, [new ValidationProblem("(record)", "object", ProblemCodes.TooLarge, $"the message is {value.Length} bytes, more than the {maxMessageBytes} a record may be")]);
        if (topic == transactionsTopic)
        {
            var tx = TransactionReader.Read(value, ReadContext.Internal);
            return tx.Record is { } transaction ? (ReplayEvent.Of(transaction), []) : (null, tx.Problems);
        }
        var report = FraudReportReader.Read(value, ReadContext.Internal);
        return report.Record is { } r ? (ReplayEvent.Of(r), []) : (null, report.Problems);
    }
}
